namespace ContactCenter.Core.Flows;

/// <summary>
/// The way a rehearsed call reaches the flow. <see cref="EngineCallPath"/> drives the engine directly; the voice
/// side can add one that goes through its webhooks and TwiML, and the rehearsal stays the same.
/// </summary>
public interface IFlowCallPath
{
    Task<FlowStep> StartAsync(FlowStart start, CancellationToken ct);
    Task<FlowStep> SendAsync(FlowInput input, CancellationToken ct);
}

/// <summary>The engine (with the real lookup runner) and the session state in memory: no database needed.</summary>
public sealed class EngineCallPath(Flow flow, FlowDriver driver) : IFlowCallPath
{
    private FlowState? _state;

    public async Task<FlowStep> StartAsync(FlowStart start, CancellationToken ct)
    {
        var step = await driver.StartAsync(flow, start, ct);
        _state = step.State;
        return step;
    }

    public async Task<FlowStep> SendAsync(FlowInput input, CancellationToken ct)
    {
        var step = await driver.StepAsync(flow, _state ?? throw new InvalidOperationException("Start the call first."), input, ct);
        _state = step.State;
        return step;
    }
}

/// <summary>
/// Walks a flow from a terminal: prints what the caller hears or sees, reads keys or words typed. On a call,
/// a line of digits, * and # is keys, other text is speech; in messaging everything is text and "@id" presses
/// a button. An empty line is silence (no input); end of input is the caller hanging up. With
/// <paramref name="echo"/> typed lines are repeated, so a transcript of piped input reads like a session.
/// </summary>
public sealed class FlowRehearsal(IFlowCallPath path, FlowAudience audience, TextReader input, TextWriter output, bool echo = false)
{
    public async Task<FlowStep> RunAsync(FlowStart start, CancellationToken ct)
    {
        var step = await path.StartAsync(start, ct);
        while (true)
        {
            foreach (var line in FlowTranscript.Describe(step)) await output.WriteLineAsync(line);
            if (step.Ended)
            {
                await output.WriteLineAsync("(the flow has ended)");
                return step;
            }

            await output.WriteAsync("> ");
            await output.FlushAsync(ct);
            var typed = await input.ReadLineAsync(ct);
            if (typed is null)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync("(the caller hung up)");
                return step;
            }

            if (echo) await output.WriteLineAsync(typed.Length == 0 ? "(silence)" : typed);

            try
            {
                step = await path.SendAsync(step.State.Wait == FlowWait.Input ? Answer(typed) : Outcome(step.AwaitedAction, typed), ct);
            }
            catch (FlowInputException e)
            {
                await output.WriteLineAsync($"(not accepted: {e.Message})");
            }
        }
    }

    /// <summary>A typed line as the caller's input.</summary>
    public FlowInput Answer(string line)
    {
        var text = line.Trim();
        if (text.Length == 0) return new FlowInput.NoInput();
        if (audience == FlowAudience.Messaging)
            return text.StartsWith('@') && text.Length > 1 ? new FlowInput.Choice(text[1..]) : new FlowInput.Text(text);
        return text.All(c => char.IsAsciiDigit(c) || c is '*' or '#') ? new FlowInput.Digits(text) : new FlowInput.Speech(text);
    }

    /// <summary>A typed line as the result of an action the rehearsal cannot perform itself.</summary>
    public static FlowInput Outcome(FlowAction? action, string line)
    {
        var text = line.Trim();
        return action switch
        {
            KnowledgeAction => text.Length == 0 ? new FlowInput.KnowledgeResult(false) : new FlowInput.KnowledgeResult(true, text, "typed"),
            LookupAction => new FlowInput.LookupResult(text.Length == 0 ? 200 : int.TryParse(text, out var status) ? status : 200,
                text.Length == 0 || int.TryParse(text, out _) ? "{}" : text, null),
            VoicemailAction => new FlowInput.Outcome(text.Length == 0 ? "recorded" : text),
            _ => new FlowInput.Outcome(text.Length == 0 ? "completed" : text),
        };
    }
}

/// <summary>A turn as lines of text, for the simulator, logs of tests and anyone reading a session.</summary>
public static class FlowTranscript
{
    public static IEnumerable<string> Describe(FlowStep step)
    {
        foreach (var e in step.Events) yield return $"  · {Event(e)}";
        foreach (var prompt in step.Prompts) yield return Prompt(prompt);
        foreach (var action in step.Actions) yield return $"  ⇒ {Action(action)}";
        if (step.Expect is { } expect)
        {
            foreach (var prompt in expect.Prompts) yield return Prompt(prompt);
            var ways = new List<string>();
            if (expect.Keypad) ways.Add(expect.NumDigits is { } n ? $"{n} key{(n == 1 ? "" : "s")}" : "keys");
            if (expect.Speech) ways.Add("speech");
            ways.Add("text");
            yield return $"  ? {expect.Kind} at '{expect.Node}' ({string.Join(", ", ways)}; {expect.Timeout.TotalSeconds:0.#} s; " +
                         $"attempt {expect.Attempt} of {expect.MaxAttempts}){(expect.Slot is null ? "" : $" → {expect.Slot}")}";
            foreach (var choice in expect.Choices)
                yield return $"      {choice.Key ?? "-",-3} {choice.Title}  [@{choice.Id}]" +
                             (choice.Synonyms.Count == 0 ? "" : $"  ({string.Join(", ", choice.Synonyms)})");
        }
        else if (step.AwaitedAction is { } awaited)
        {
            yield return awaited switch
            {
                KnowledgeAction => "  ? the knowledge base's answer (type it, or Enter for none)",
                LookupAction => "  ? the lookup's result (type a status or a JSON body; Enter for 200 {})",
                VoicemailAction => "  ? how the recording ended (Enter for 'recorded')",
                _ => "  ? how it ended (Enter for 'completed'; e.g. hangup, leave, busy, no-answer)",
            };
        }
    }

    private static string Prompt(FlowPrompt prompt) =>
        prompt.AudioUrl is null ? $"  \"{prompt.Text}\"  [{prompt.Locale}]" : $"  ♪ {prompt.AudioUrl}{(prompt.Text.Length > 0 ? $"  \"{prompt.Text}\"" : "")}";

    private static string Event(FlowEvent e) => e.Type switch
    {
        "choice" => $"chose '{e.Option}' at '{e.Node}' ({Quote(e.Input)})",
        "language" => $"language {e.Detail} at '{e.Node}' ({Quote(e.Input)})",
        "slot" => $"{e.Option} = {e.Detail} ({Quote(e.Input)})",
        "fallback" => $"no more retries at '{e.Node}': on to '{e.Detail}'",
        _ => $"{e.Type} at '{e.Node}'{(e.Input is null ? "" : $" ({Quote(e.Input)})")}{(e.Detail is null ? "" : $": {e.Detail}")}",
    };

    private static string Quote(string? input) => input is null ? "" : $"\"{input}\"";

    private static string Action(FlowAction action) => action switch
    {
        EnqueueAction a => $"enqueue in '{a.Queue}' (priority {a.Priority}{(a.Reason is null ? "" : $", {a.Reason}")})",
        CallbackAction a => $"callback to {Customers.Redact.Address(a.Number)} from queue '{a.Queue}'",
        VoicemailAction a => $"record a voicemail (up to {a.MaxLength.TotalSeconds:0} s) for queue '{a.Queue ?? "-"}'",
        TransferAction a => $"transfer to {a.To.ToString().ToLowerInvariant()} {a.Address}",
        HandoffAction a => $"hand off to queue '{a.Queue}'{(a.Reason is null ? "" : $" ({a.Reason})")}",
        HangupAction => "hang up",
        EndAction a => a.Resolve ? "end (resolved by the bot)" : "end",
        KnowledgeAction a => $"search the knowledge base for \"{a.Query}\"",
        LookupAction a => $"{a.Method} {(a.Endpoint is null ? "" : $"[{a.Endpoint}]")}{a.Url}",
        _ => action.GetType().Name,
    };
}
