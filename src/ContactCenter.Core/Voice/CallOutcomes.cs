namespace ContactCenter.Core.Voice;

public static class CallStatuses
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(
        ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]);

    public static bool IsFinal(string status) => status is "completed" or "busy" or "failed" or "no-answer" or "canceled";
}

/// <summary>The <c>outcome</c> of <c>call.ended</c>; it also decides whether the voice conversation stays open.</summary>
public static class CallOutcomes
{
    /// <summary>An agent talked to the caller: the conversation stays with the agent for wrap-up.</summary>
    public const string Connected = "connected";
    /// <summary>The caller asked to be called back: the conversation keeps its place in the queue.</summary>
    public const string CallbackRequested = "callback-requested";
    /// <summary>A voicemail was (or is being) left: the conversation waits in a queue like a message.</summary>
    public const string Voicemail = "voicemail";
    /// <summary>A callback the service placed was not answered.</summary>
    public const string CallbackUnanswered = "callback-unanswered";
    /// <summary>An agent's own call the customer did not answer (busy, no answer, failed): the conversation stays as it was.</summary>
    public const string OutboundUnanswered = "outbound-unanswered";
    /// <summary>The caller hung up while waiting in a queue: the conversation is closed.</summary>
    public const string Abandoned = "abandoned";
    /// <summary>The call ended inside the IVR (self-service, a transfer, a hang-up): the conversation is closed.</summary>
    public const string EndedInIvr = "ended-in-ivr";

    public static bool Closes(string outcome) => outcome is Abandoned or EndedInIvr;
}
