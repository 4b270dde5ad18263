using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Flows;

/// <summary>What the flow is waiting for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FlowWait>))]
public enum FlowWait
{
    /// <summary>The caller: keys, speech, text or a button.</summary>
    [JsonStringEnumMemberName("input")] Input,
    /// <summary>The result of an action the flow asked for (a lookup, a recording, a queue).</summary>
    [JsonStringEnumMemberName("action")] Action,
    /// <summary>Nothing: the flow is over.</summary>
    [JsonStringEnumMemberName("ended")] Ended,
}

/// <summary>
/// Where a call or conversation stands in its flow. Immutable: every step returns a new one. Variables are
/// flat dotted names (<c>customer.name</c>) holding JSON values.
/// </summary>
public sealed record FlowState
{
    public required string Flow { get; init; }
    /// <summary>The node waiting for input or an action result (the last node run once ended).</summary>
    public required string Node { get; init; }
    public required string Language { get; init; }
    public required FlowWait Wait { get; init; }
    public ImmutableDictionary<string, JsonElement> Variables { get; init; } = FlowValues.None;
    /// <summary>No input or wrong answers so far at <see cref="Node"/>; reset when the flow moves on.</summary>
    public int Attempts { get; init; }
}

/// <summary>How a session begins: the starting language (null: the flow's first) and known facts as variables.</summary>
public sealed record FlowStart(string? Language, IReadOnlyDictionary<string, JsonElement> Variables)
{
    public static FlowStart Empty { get; } = new(null, FlowValues.None);
}

/// <summary>What the caller's side feeds into a step. Voice sends keys, speech or no input; chat sends text or a
/// button's choice; action results come back from whoever performed the action.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Digits), "digits")]
[JsonDerivedType(typeof(Speech), "speech")]
[JsonDerivedType(typeof(Text), "text")]
[JsonDerivedType(typeof(Choice), "choice")]
[JsonDerivedType(typeof(NoInput), "noInput")]
[JsonDerivedType(typeof(LookupResult), "lookupResult")]
[JsonDerivedType(typeof(KnowledgeResult), "knowledgeResult")]
[JsonDerivedType(typeof(Outcome), "outcome")]
public abstract record FlowInput
{
    public sealed record Digits(string Value) : FlowInput;
    public sealed record Speech(string Transcript, double? Confidence = null) : FlowInput;
    public sealed record Text(string Value) : FlowInput;
    /// <summary>A button or quick reply: <c>data.choice.id</c> of the inbound event, with its title.</summary>
    public sealed record Choice(string Id, string? Title = null) : FlowInput;
    /// <summary>The caller said and pressed nothing before the timeout.</summary>
    public sealed record NoInput : FlowInput;
    /// <summary>An HTTP lookup's answer: the status (0 when there was none), the body, or what went wrong.</summary>
    public sealed record LookupResult(int Status, string? Body, string? Error) : FlowInput;
    public sealed record KnowledgeResult(bool Found, string? Answer = null, string? ArticleId = null, double? Score = null) : FlowInput;
    /// <summary>How a queue, transfer or recording ended (e.g. Twilio's QueueResult, DialCallStatus, "recorded").</summary>
    public sealed record Outcome(string Value) : FlowInput;
}

/// <summary>A text to speak or show, already in the session's language with variables filled in.</summary>
public sealed record FlowPrompt(string Node, string Text, string? AudioUrl, string Language, string Locale);

/// <summary>An answer a question accepts, for renderers: keypad key, button title, speech hints.</summary>
public sealed record FlowChoice(string Id, string? Key, string Title, IReadOnlyList<string> Synonyms);

/// <summary>
/// The question the flow waits on, with what both renderers need: voice (a Gather with these modes, timeout,
/// digits, hints) and chat (a message with buttons or numbered options). <see cref="Prompts"/> are the
/// question itself (after any "sorry" for a retry); render them inside the Gather or as the message.
/// </summary>
public sealed record FlowExpectation(
    string Node,
    string Kind,
    IReadOnlyList<FlowPrompt> Prompts,
    IReadOnlyList<FlowChoice> Choices,
    bool Keypad,
    bool Speech,
    TimeSpan Timeout,
    int? NumDigits,
    int? MaxDigits,
    string? FinishOnKey,
    int Attempt,
    int MaxAttempts,
    string Language,
    string Locale,
    string? Slot)
{
    /// <summary>Words a speech recognizer should listen for (Twilio's <c>hints</c>).</summary>
    [JsonIgnore]
    public IEnumerable<string> SpeechHints => Choices.SelectMany(c => c.Synonyms.Prepend(c.Title)).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A side effect the caller's side performs. Lookup and knowledge actions are resolved by the driver
/// (see <see cref="IFlowActionResolver"/>); the rest go to the voice or chat side.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LookupAction), "lookup")]
[JsonDerivedType(typeof(KnowledgeAction), "knowledge")]
[JsonDerivedType(typeof(EnqueueAction), "enqueue")]
[JsonDerivedType(typeof(CallbackAction), "callback")]
[JsonDerivedType(typeof(VoicemailAction), "voicemail")]
[JsonDerivedType(typeof(TransferAction), "transfer")]
[JsonDerivedType(typeof(HandoffAction), "handoff")]
[JsonDerivedType(typeof(HangupAction), "hangup")]
[JsonDerivedType(typeof(EndAction), "end")]
public abstract record FlowAction(string Node);

public sealed record LookupAction(string Node, string Method, string? Endpoint, string Url,
    IReadOnlyDictionary<string, string> Headers, string? Body, TimeSpan Timeout) : FlowAction(Node);

public sealed record KnowledgeAction(string Node, string Query, string Language) : FlowAction(Node);

/// <summary>Put the contact in a routing queue. <see cref="AwaitsOutcome"/>: the flow continues when told how it ended.</summary>
public sealed record EnqueueAction(string Node, string Queue, int Priority, string? Reason, bool AwaitsOutcome) : FlowAction(Node);

/// <summary>Schedule a call back to <see cref="Number"/> when an agent of <see cref="Queue"/> is free.</summary>
public sealed record CallbackAction(string Node, string Queue, string Number, int Priority) : FlowAction(Node);

public sealed record VoicemailAction(string Node, TimeSpan MaxLength, string? Queue, bool AwaitsOutcome) : FlowAction(Node);

public sealed record TransferAction(string Node, TransferKind To, string Address, string? CallerId, TimeSpan Timeout, bool AwaitsOutcome)
    : FlowAction(Node);

/// <summary>From the bot to a person: the conversation enters <see cref="Queue"/>; the bot stays silent.</summary>
public sealed record HandoffAction(string Node, string Queue, string? Reason, int Priority) : FlowAction(Node);

public sealed record HangupAction(string Node) : FlowAction(Node);

/// <summary>The bot is done; <see cref="Resolve"/>: the conversation may be resolved (contained).</summary>
public sealed record EndAction(string Node, bool Resolve) : FlowAction(Node);

/// <summary>Something that happened in a step, for the timeline (<c>call.ivr</c>), handoff context and logs.
/// Types: choice, language, slot, no-input, no-match, invalid, fallback, lookup, knowledge, outcome.</summary>
public sealed record FlowEvent(string Type, string Node, string? Option = null, string? Input = null, string? Detail = null);

/// <summary>
/// One turn of a flow: what to say or show (<see cref="Prompts"/>, then <see cref="Expect"/>'s question),
/// what to do (<see cref="Actions"/>, in order), what happened (<see cref="Events"/>) and the next state.
/// </summary>
public sealed record FlowStep(
    [property: JsonIgnore] FlowState State,
    IReadOnlyList<FlowPrompt> Prompts,
    FlowExpectation? Expect,
    IReadOnlyList<FlowAction> Actions,
    IReadOnlyList<FlowEvent> Events)
{
    [JsonIgnore] public bool Ended => State.Wait == FlowWait.Ended;

    /// <summary>The action whose result the flow waits for, when it waits for one.</summary>
    [JsonIgnore]
    public FlowAction? AwaitedAction => State.Wait == FlowWait.Action ? Actions.LastOrDefault(a => a.Node == State.Node) : null;

    /// <summary>Every text of the turn in order: the prompts, then the question.</summary>
    [JsonIgnore]
    public IEnumerable<FlowPrompt> AllPrompts => Expect is null ? Prompts : Prompts.Concat(Expect.Prompts);
}

/// <summary>Facts about the customer a flow branches on, as variables (see flows/README.md).</summary>
public static class FlowCustomerVariables
{
    public static FlowStart For(Customers.Customer? customer, Channel channel, string address, string? language = null)
    {
        var variables = ImmutableDictionary.CreateBuilder<string, JsonElement>();
        variables["channel"] = FlowValues.Of(channel.ToName());
        variables["caller"] = FlowValues.Of(address);
        variables["customer.known"] = FlowValues.Of(!string.IsNullOrWhiteSpace(customer?.Name));
        var elsewhere = customer?.OpenConversations.FirstOrDefault(c => c.Channel != channel);
        variables["customer.hasOpenConversation"] = FlowValues.Of(elsewhere is not null);
        if (customer is not null)
        {
            variables["customer.id"] = FlowValues.Of(customer.Id.ToString());
            if (!string.IsNullOrWhiteSpace(customer.Name))
            {
                variables["customer.name"] = FlowValues.Of(customer.Name.Trim());
                variables["customer.firstName"] = FlowValues.Of(customer.Name.Trim().Split(' ')[0]);
            }
        }

        if (elsewhere is not null)
        {
            variables["customer.openConversation.id"] = FlowValues.Of(elsewhere.Id.ToString());
            variables["customer.openConversation.channel"] = FlowValues.Of(elsewhere.Channel.ToName());
            variables["customer.openConversation.status"] = FlowValues.Of(elsewhere.Status);
            if (elsewhere.Queue is not null) variables["customer.openConversation.queue"] = FlowValues.Of(elsewhere.Queue);
        }

        return new FlowStart(language, variables.ToImmutable());
    }
}
