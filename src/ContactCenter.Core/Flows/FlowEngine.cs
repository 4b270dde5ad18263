using System.Collections.Immutable;
using System.Text.Json;

namespace ContactCenter.Core.Flows;

/// <summary>The input does not fit what the session waits for (a key after the flow ended, a lookup result at a menu).</summary>
public sealed class FlowInputException(string message) : Exception(message);

/// <summary>
/// The flow engine: a pure step function. (flow, state, input, now) → (prompts, question, actions, events, next
/// state). It does no I/O: lookups, queues, recordings and hang-ups are actions the caller performs, feeding
/// results back as input. The same engine runs the IVR and the bots.
/// </summary>
public static class FlowEngine
{
    /// <summary>Guards against a loop that validation would have refused: no turn runs more nodes than this.</summary>
    public const int MaxNodesPerTurn = 100;

    public static FlowStep Start(Flow flow, FlowStart start, DateTimeOffset now)
    {
        var language = start.Language is { } wanted && flow.Languages.Any(l => l.Code.Equals(wanted, StringComparison.OrdinalIgnoreCase))
            ? flow.Language(wanted).Code
            : flow.DefaultLanguage;
        var turn = new Turn(flow, language, start.Variables.ToImmutableDictionary(), now);
        return turn.RunFrom(flow.Start);
    }

    public static FlowStep Step(Flow flow, FlowState state, FlowInput input, DateTimeOffset now)
    {
        if (state.Wait == FlowWait.Ended) throw new FlowInputException("The flow has ended.");
        var node = NodeOf(flow, state.Node);
        var turn = new Turn(flow, state.Language, state.Variables, now);
        if (state.Wait == FlowWait.Action) return turn.Result(node, input);
        return node is AskNode ask
            ? turn.Answer(ask, state.Attempts, input)
            : throw new FlowInputException($"Node '{node.Id}' of flow '{flow.Name}' no longer asks anything (was the flow changed?).");
    }

    /// <summary>Continues a session at a named node, whatever it waited for (the bot taking a conversation back).</summary>
    public static FlowStep ResumeAt(Flow flow, FlowState state, string node, DateTimeOffset now)
    {
        NodeOf(flow, node);
        return new Turn(flow, state.Language, state.Variables, now).RunFrom(node);
    }

    private static FlowNode NodeOf(Flow flow, string id) => flow.Nodes.GetValueOrDefault(id)
        ?? throw new FlowInputException($"Flow '{flow.Name}' has no node '{id}' (was the flow changed while the session ran?).");

    /// <summary>One turn's work: runs nodes until one waits, collecting what the caller's side must say and do.</summary>
    private sealed class Turn(Flow flow, string language, ImmutableDictionary<string, JsonElement> variables, DateTimeOffset now)
    {
        private readonly ImmutableDictionary<string, JsonElement>.Builder _vars = variables.ToBuilder();
        private readonly List<FlowPrompt> _prompts = [];
        private readonly List<FlowAction> _actions = [];
        private readonly List<FlowEvent> _events = [];
        private string _language = language;

        public FlowStep RunFrom(string id)
        {
            for (var count = 0; count < MaxNodesPerTurn; count++)
            {
                var node = flow.Nodes[id];
                switch (node)
                {
                    case SayNode say:
                        Say(say.Id, say.Prompt);
                        id = say.Next;
                        break;
                    case SetNode set:
                        foreach (var (variable, value) in set.Values) Assign(variable, value);
                        id = set.Next;
                        break;
                    case BranchNode branch:
                        id = branch.Cases.FirstOrDefault(c => c.When.Evaluate(_vars)).Goto ?? branch.Else;
                        break;
                    case HoursNode hours:
                        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, hours.Hours.TimeZone).DateTime);
                        id = hours.Holiday is not null && hours.Holidays.Contains(today) ? hours.Holiday
                            : hours.Hours.IsOpen(now) ? hours.Open : hours.Closed;
                        break;
                    case AskNode ask:
                        return Ask(ask, 0, null);
                    case LookupNode lookup:
                        _actions.Add(new LookupAction(lookup.Id, lookup.Method, lookup.Endpoint,
                            lookup.Url.Render(_vars, Uri.EscapeDataString),
                            lookup.Headers.ToDictionary(h => h.Key, h => h.Value.Render(_vars)),
                            lookup.Body?.Render(_vars, v => JsonEncodedText.Encode(v).ToString()), lookup.Timeout));
                        return Finish(FlowWait.Action, lookup.Id);
                    case AnswerNode answer:
                        _actions.Add(new KnowledgeAction(answer.Id, answer.Query.Render(_vars), _language));
                        return Finish(FlowWait.Action, answer.Id);
                    case ActionNode action:
                        Say(action.Id, action.Prompt);
                        _actions.Add(ActionOf(action));
                        return Finish(action.Next is null ? FlowWait.Ended : FlowWait.Action, action.Id);
                    case FinalNode final:
                        Say(final.Id, final.Prompt);
                        _actions.Add(final switch
                        {
                            HandoffNode h => new HandoffAction(h.Id, h.Queue.Render(_vars), h.Reason?.Render(_vars), h.Priority),
                            EndNode e => new EndAction(e.Id, e.Resolve),
                            _ => new HangupAction(final.Id),
                        });
                        return Finish(FlowWait.Ended, final.Id);
                    default:
                        throw new InvalidOperationException($"The engine does not know node kind '{node.Kind}'.");
                }
            }

            throw new InvalidOperationException(
                $"Flow '{flow.Name}' ran {MaxNodesPerTurn} nodes without waiting, last at '{id}': a loop validation should have refused.");
        }

        /// <summary>The caller answered a question (or did not).</summary>
        public FlowStep Answer(AskNode node, int attempts, FlowInput input)
        {
            if (input is not (FlowInput.Digits or FlowInput.Speech or FlowInput.Text or FlowInput.Choice or FlowInput.NoInput))
                throw new FlowInputException($"Node '{node.Id}' waits for the caller, not for {FlowMatching.Describe(input)}.");
            if (input is FlowInput.NoInput) return Miss(node, attempts, "no-input", null);

            var raw = FlowMatching.RawText(input);
            _vars["last.input"] = FlowValues.Of(raw);
            if (node is CollectNode collect)
            {
                if (collect.Validator.Check(raw) is not { } value) return Miss(node, attempts, "invalid", raw);
                _vars[collect.Variable] = FlowValues.Of(value);
                _events.Add(new FlowEvent("slot", node.Id, collect.Variable, raw, value));
                return RunFrom(collect.Next);
            }

            var options = node switch
            {
                MenuNode m => m.Options,
                LanguageNode l => l.Options,
                CallbackNode c => c.Options,
                _ => throw new InvalidOperationException($"Unknown question node '{node.Kind}'."),
            };
            var option = FlowMatching.Match(options, input, _language, flow.DefaultLanguage, _vars);
            if (option is null) return Miss(node, attempts, "no-match", raw);

            switch (node)
            {
                case LanguageNode languageNode:
                    _language = flow.Language(option.Target).Code;
                    _events.Add(new FlowEvent("language", node.Id, option.Id, raw, _language));
                    return RunFrom(languageNode.Next);
                case CallbackNode callback:
                    _events.Add(new FlowEvent("choice", node.Id, option.Id, raw));
                    if (option.Id != "accept") return RunFrom(callback.Declined);
                    _actions.Add(new CallbackAction(node.Id, callback.Queue.Render(_vars), callback.Number.Render(_vars), callback.Priority));
                    return RunFrom(callback.Accepted);
                default:
                    _events.Add(new FlowEvent("choice", node.Id, option.Id, raw));
                    return RunFrom(option.Target);
            }
        }

        /// <summary>No input or a wrong answer: repeat the question (with the node's "sorry") until retries run out.</summary>
        private FlowStep Miss(AskNode node, int attempts, string kind, string? raw)
        {
            _events.Add(new FlowEvent(kind, node.Id, Input: raw));
            attempts++;
            if (attempts <= node.Ask.Retries)
                return Ask(node, attempts, kind == "no-input" ? node.Ask.NoInput : node.Ask.NoMatch);

            var fallback = node switch
            {
                MenuNode m => m.Fallback,
                CollectNode c => c.Fallback,
                LanguageNode l => l.Fallback ?? l.Next,
                CallbackNode c => c.Declined,
                _ => throw new InvalidOperationException($"Unknown question node '{node.Kind}'."),
            };
            _events.Add(new FlowEvent("fallback", node.Id, Detail: fallback));
            return RunFrom(fallback);
        }

        /// <summary>The result of the action the flow waits on.</summary>
        public FlowStep Result(FlowNode node, FlowInput input)
        {
            switch (node, input)
            {
                case (LookupNode lookup, FlowInput.LookupResult result):
                    return LookupDone(lookup, result);
                case (AnswerNode answer, FlowInput.KnowledgeResult result):
                    _events.Add(new FlowEvent("knowledge", node.Id, result.ArticleId, Detail: result.Found ? "found" : "not found"));
                    foreach (var key in new[] { "kb.answer", "kb.article", "kb.score" }) _vars.Remove(key);
                    if (!result.Found || string.IsNullOrWhiteSpace(result.Answer)) return RunFrom(answer.NotFound);
                    _vars["kb.answer"] = FlowValues.Of(result.Answer);
                    if (result.ArticleId is not null) _vars["kb.article"] = FlowValues.Of(result.ArticleId);
                    if (result.Score is { } score) _vars["kb.score"] = FlowValues.Of(score);
                    return RunFrom(answer.Answered);
                case (ActionNode { Next: { } next }, FlowInput.Outcome outcome):
                    _vars["outcome"] = FlowValues.Of(outcome.Value);
                    _events.Add(new FlowEvent("outcome", node.Id, Detail: outcome.Value));
                    return RunFrom(next);
                default:
                    throw new FlowInputException($"Node '{node.Id}' ({node.Kind}) waits for its action's result, not for {FlowMatching.Describe(input)}.");
            }
        }

        private FlowStep LookupDone(LookupNode lookup, FlowInput.LookupResult result)
        {
            var error = result.Error ?? (result.Status is >= 200 and < 300 ? null : $"status {result.Status}");
            var mapped = new List<(string, JsonElement)>();
            if (error is null && lookup.Results.Count > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.Body) ? "null" : result.Body);
                    mapped.AddRange(lookup.Results.Select(r => (r.Variable, r.Path.Find(document.RootElement))));
                }
                catch (JsonException)
                {
                    error = "invalid response";
                }
            }

            _vars["http.status"] = FlowValues.Of(result.Status);
            if (error is null) _vars.Remove("http.error");
            else _vars["http.error"] = FlowValues.Of(error);
            _events.Add(new FlowEvent("lookup", lookup.Id, Detail: error ?? $"status {result.Status}"));
            if (error is not null) return RunFrom(lookup.Error);

            foreach (var (variable, value) in mapped)
            {
                if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) _vars.Remove(variable);
                else _vars[variable] = value;
            }

            return RunFrom(lookup.Next);
        }

        private FlowAction ActionOf(ActionNode node) => node switch
        {
            EnqueueNode e => new EnqueueAction(e.Id, e.Queue.Render(_vars), e.Priority, e.Reason?.Render(_vars), e.Next is not null),
            VoicemailNode v => new VoicemailAction(v.Id, v.MaxLength, v.Queue?.Render(_vars), v.Next is not null),
            TransferNode t => new TransferAction(t.Id, t.To, t.Address.Render(_vars), t.CallerId?.Render(_vars), t.Timeout, t.Next is not null),
            _ => throw new InvalidOperationException($"Unknown action node '{node.Kind}'."),
        };

        private void Assign(string variable, FlowValue value)
        {
            var element = value switch
            {
                FlowValue.Literal literal => literal.Value,
                FlowValue.Text text => FlowValues.Of(text.Template.Render(_vars)),
                _ => default,
            };
            if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) _vars.Remove(variable);
            else _vars[variable] = element;
        }

        private void Say(string node, FlowPromptDefinition? prompt)
        {
            if (Render(node, prompt) is { } rendered) _prompts.Add(rendered);
        }

        private FlowPrompt? Render(string node, FlowPromptDefinition? prompt)
        {
            if (prompt is null) return null;
            var text = prompt.Text?.For(_language, flow.DefaultLanguage)?.Render(_vars);
            var audio = prompt.Audio?.For(_language, flow.DefaultLanguage)?.Render(_vars);
            if (string.IsNullOrEmpty(text) && string.IsNullOrEmpty(audio)) return null;
            return new FlowPrompt(node, text ?? "", string.IsNullOrEmpty(audio) ? null : audio, _language, flow.Language(_language).Locale);
        }

        private FlowStep Ask(AskNode node, int attempts, FlowPromptDefinition? sorry)
        {
            var prompts = new[] { Render(node.Id, sorry), Render(node.Id, node.Ask.Prompt) }.OfType<FlowPrompt>().ToList();
            var options = node switch
            {
                MenuNode m => m.Options,
                LanguageNode l => l.Options,
                CallbackNode c => c.Options,
                _ => [],
            };
            var choices = options.Select(o => FlowMatching.ChoiceOf(o, _language, flow.DefaultLanguage, _vars)).ToList();
            var keys = options.Select(o => o.Key).ToList();
            int? numDigits = keys.Count > 0 && keys.All(k => k is not null) && keys.Select(k => k!.Length).Distinct().Count() == 1
                ? keys[0]!.Length
                : null;
            var collect = node as CollectNode;
            var expect = new FlowExpectation(
                node.Id, collect is null ? "choice" : "slot", prompts, choices,
                node.Ask.Modes.HasFlag(FlowInputModes.Keypad) && (collect is not null || keys.Any(k => k is not null)),
                node.Ask.Modes.HasFlag(FlowInputModes.Speech),
                node.Ask.Timeout,
                collect is null ? numDigits : null,
                collect?.MaxDigits ?? (numDigits is null ? keys.Max(k => k?.Length) : null),
                collect is not null ? collect.FinishOnKey : numDigits is null && keys.Count > 0 ? "#" : null,
                attempts + 1, node.Ask.Retries + 1,
                _language, flow.Language(_language).Locale,
                collect?.Variable);
            return Finish(FlowWait.Input, node.Id, expect, attempts);
        }

        private FlowStep Finish(FlowWait wait, string node, FlowExpectation? expect = null, int attempts = 0) => new(
            new FlowState
            {
                Flow = flow.Name, Node = node, Language = _language, Wait = wait, Variables = _vars.ToImmutable(), Attempts = attempts,
            },
            _prompts, expect, _actions, _events);
    }
}
