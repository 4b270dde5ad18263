using ContactCenter.Core.Scheduling;

namespace ContactCenter.Core.Flows;

/// <summary>
/// A flow as loaded from a file in <c>flows/</c>: a graph of nodes, entered at <see cref="Start"/>. Immutable;
/// the catalog holds one instance per flow for the life of the process.
/// </summary>
public sealed record Flow(
    string Name,
    string File,
    FlowAudience Audience,
    string Start,
    IReadOnlyList<FlowLanguage> Languages,
    IReadOnlyDictionary<string, FlowNode> Nodes)
{
    public string DefaultLanguage => Languages[0].Code;

    public FlowLanguage Language(string code) =>
        Languages.FirstOrDefault(l => string.Equals(l.Code, code, StringComparison.OrdinalIgnoreCase)) ?? Languages[0];
}

/// <summary>Who a flow is written for: it decides how the simulator reads typed lines, nothing in the engine.</summary>
public enum FlowAudience { Voice, Messaging, Any }

/// <summary>A language a flow speaks: the code prompts are keyed by ("en") and the locale a voice uses ("en-US").</summary>
public sealed record FlowLanguage(string Code, string Locale);

/// <summary>A text per language. The key "*" holds a text used for every language.</summary>
public sealed record Localized(IReadOnlyDictionary<string, FlowTemplate> ByLanguage)
{
    public const string AnyLanguage = "*";

    public FlowTemplate? For(string language, string fallbackLanguage) =>
        ByLanguage.GetValueOrDefault(language) ?? ByLanguage.GetValueOrDefault(AnyLanguage) ?? ByLanguage.GetValueOrDefault(fallbackLanguage);
}

/// <summary>What a node says or shows: text (spoken with text-to-speech or sent as a message) and/or a recording.</summary>
public sealed record FlowPromptDefinition(Localized? Text, Localized? Audio);

/// <summary>One answer a question accepts: a key on the keypad, words a caller may say, a button on chat.</summary>
public sealed record FlowOption(
    string Id,
    string? Key,
    Localized? Title,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Speech,
    string Target);

[Flags]
public enum FlowInputModes { None = 0, Keypad = 1, Speech = 2 }

/// <summary>How a node asks: its prompt, the input it takes on a call, how long it waits and how often it repeats.</summary>
public sealed record FlowAsk(
    FlowPromptDefinition Prompt,
    FlowInputModes Modes,
    TimeSpan Timeout,
    int Retries,
    FlowPromptDefinition? NoInput,
    FlowPromptDefinition? NoMatch);

/// <summary>A node of a flow. <see cref="Targets"/> lists the nodes it may go to, by field, for validation.</summary>
public abstract record FlowNode(string Id, int Line)
{
    public abstract string Kind { get; }

    /// <summary>True when the flow stops here until the caller (or the world around the call) does something.
    /// A cycle of nodes that do not wait would spin forever, so validation refuses one.</summary>
    public virtual bool Waits => false;

    public abstract IEnumerable<(string Field, string Target)> Targets();
}

public sealed record SayNode(string Id, int Line, string KindName, FlowPromptDefinition Prompt, string Next) : FlowNode(Id, Line)
{
    public override string Kind => KindName;
    public override IEnumerable<(string, string)> Targets() => [("next", Next)];
}

public sealed record SetNode(string Id, int Line, IReadOnlyList<(string Variable, FlowValue Value)> Values, string Next) : FlowNode(Id, Line)
{
    public override string Kind => "set";
    public override IEnumerable<(string, string)> Targets() => [("next", Next)];
}

public sealed record BranchNode(string Id, int Line, IReadOnlyList<(FlowCondition When, string Goto)> Cases, string Else) : FlowNode(Id, Line)
{
    public override string Kind => "branch";

    public override IEnumerable<(string, string)> Targets() =>
        Cases.Select((c, i) => ($"when[{i}].goto", c.Goto)).Append(("else", Else));
}

public sealed record HoursNode(string Id, int Line, BusinessHours Hours, IReadOnlySet<DateOnly> Holidays, string Open, string Closed, string? Holiday)
    : FlowNode(Id, Line)
{
    public override string Kind => "hours";

    public override IEnumerable<(string, string)> Targets() =>
        Holiday is null ? [("open", Open), ("closed", Closed)] : [("open", Open), ("closed", Closed), ("holiday", Holiday)];
}

/// <summary>A node that asks and waits for the caller: menu, language choice, callback offer, slot collection.</summary>
public abstract record AskNode(string Id, int Line, FlowAsk Ask) : FlowNode(Id, Line)
{
    public override bool Waits => true;
}

public sealed record MenuNode(string Id, int Line, FlowAsk Ask, IReadOnlyList<FlowOption> Options, string Fallback) : AskNode(Id, Line, Ask)
{
    public override string Kind => "menu";

    public override IEnumerable<(string, string)> Targets() =>
        Options.Select((o, i) => ($"options[{i}].next", o.Target)).Append(("fallback", Fallback));
}

/// <summary>Options' targets are language codes here; every choice continues at <see cref="Next"/>.</summary>
public sealed record LanguageNode(string Id, int Line, FlowAsk Ask, IReadOnlyList<FlowOption> Options, string Next, string? Fallback)
    : AskNode(Id, Line, Ask)
{
    public override string Kind => "language";

    public override IEnumerable<(string, string)> Targets() =>
        Fallback is null ? [("next", Next)] : [("next", Next), ("fallback", Fallback)];
}

/// <summary>Options are "accept" and "decline"; accepting asks the caller's side to schedule a callback.</summary>
public sealed record CallbackNode(
    string Id, int Line, FlowAsk Ask, IReadOnlyList<FlowOption> Options,
    FlowTemplate Queue, FlowTemplate Number, int Priority, string Accepted, string Declined) : AskNode(Id, Line, Ask)
{
    public override string Kind => "callback";
    public override IEnumerable<(string, string)> Targets() => [("accepted", Accepted), ("declined", Declined)];
}

public sealed record CollectNode(
    string Id, int Line, FlowAsk Ask, string Variable, SlotValidator Validator,
    int? MaxDigits, string? FinishOnKey, string Next, string Fallback) : AskNode(Id, Line, Ask)
{
    public override string Kind => "collect";
    public override IEnumerable<(string, string)> Targets() => [("next", Next), ("fallback", Fallback)];
}

/// <summary>An HTTP lookup. <see cref="Results"/> maps variables to paths into the JSON answer.</summary>
public sealed record LookupNode(
    string Id, int Line, string Method, string? Endpoint, FlowTemplate Url,
    IReadOnlyDictionary<string, FlowTemplate> Headers, FlowTemplate? Body, TimeSpan Timeout,
    IReadOnlyList<(string Variable, JsonPath Path)> Results, string Next, string Error) : FlowNode(Id, Line)
{
    public override string Kind => "lookup";
    public override IEnumerable<(string, string)> Targets() => [("next", Next), ("error", Error)];
}

/// <summary>A knowledge-base answer: the bot's side searches and feeds back what it found.</summary>
public sealed record AnswerNode(string Id, int Line, FlowTemplate Query, string Answered, string NotFound) : FlowNode(Id, Line)
{
    public override string Kind => "answer";
    public override IEnumerable<(string, string)> Targets() => [("answered", Answered), ("notFound", NotFound)];
}

/// <summary>A node that hands the contact to the world outside the flow (queue, recording, another number).
/// With <c>next</c> the flow continues when the caller's side reports how it went; without, it ends there.</summary>
public abstract record ActionNode(string Id, int Line, FlowPromptDefinition? Prompt, string? Next) : FlowNode(Id, Line)
{
    public override bool Waits => true;
    public override IEnumerable<(string, string)> Targets() => Next is null ? [] : [("next", Next)];
}

public sealed record EnqueueNode(string Id, int Line, FlowPromptDefinition? Prompt, FlowTemplate Queue, int Priority, FlowTemplate? Reason, string? Next)
    : ActionNode(Id, Line, Prompt, Next)
{
    public override string Kind => "enqueue";
}

public sealed record VoicemailNode(string Id, int Line, FlowPromptDefinition Prompt, TimeSpan MaxLength, FlowTemplate? Queue, string? Next)
    : ActionNode(Id, Line, Prompt, Next)
{
    public override string Kind => "voicemail";
}

public enum TransferKind { Number, Sip, Client }

public sealed record TransferNode(
    string Id, int Line, FlowPromptDefinition? Prompt, TransferKind To, FlowTemplate Address, FlowTemplate? CallerId,
    TimeSpan Timeout, string? Next) : ActionNode(Id, Line, Prompt, Next)
{
    public override string Kind => "transfer";
}

/// <summary>The end of a flow: hang up (voice), hand off to an agent, or end the bot's part (messaging).</summary>
public abstract record FinalNode(string Id, int Line, FlowPromptDefinition? Prompt) : FlowNode(Id, Line)
{
    public override IEnumerable<(string, string)> Targets() => [];
}

public sealed record HangupNode(string Id, int Line, FlowPromptDefinition? Prompt) : FinalNode(Id, Line, Prompt)
{
    public override string Kind => "hangup";
}

public sealed record HandoffNode(string Id, int Line, FlowPromptDefinition? Prompt, FlowTemplate Queue, FlowTemplate? Reason, int Priority)
    : FinalNode(Id, Line, Prompt)
{
    public override string Kind => "handoff";
}

public sealed record EndNode(string Id, int Line, FlowPromptDefinition? Prompt, bool Resolve) : FinalNode(Id, Line, Prompt)
{
    public override string Kind => "end";
}
