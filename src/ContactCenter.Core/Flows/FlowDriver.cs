namespace ContactCenter.Core.Flows;

/// <summary>
/// Performs a kind of action that only fetches data for the flow (an HTTP lookup, a knowledge-base search) and
/// returns its result as input. Registered resolvers run inside a turn; other actions go to the caller's side.
/// </summary>
public interface IFlowActionResolver
{
    bool CanResolve(FlowAction action);
    Task<FlowInput> ResolveAsync(FlowAction action, CancellationToken ct);
}

/// <summary>
/// Runs the pure engine and resolves data actions in between, so one call gives the caller's side a whole turn:
/// what to say, the question, and only the actions it must perform itself. Used by the session store and by
/// the simulator; it keeps no state of its own.
/// </summary>
public sealed class FlowDriver(IEnumerable<IFlowActionResolver> resolvers, TimeProvider clock)
{
    /// <summary>Data actions one turn may resolve (a lookup, then another…); validation forbids loops of them.</summary>
    public const int MaxResolvedPerTurn = 10;

    private readonly IFlowActionResolver[] _resolvers = resolvers.ToArray();

    public Task<FlowStep> StartAsync(Flow flow, FlowStart start, CancellationToken ct) =>
        ResolveAsync(flow, FlowEngine.Start(flow, start, clock.GetUtcNow()), ct);

    public Task<FlowStep> StepAsync(Flow flow, FlowState state, FlowInput input, CancellationToken ct) =>
        ResolveAsync(flow, FlowEngine.Step(flow, state, input, clock.GetUtcNow()), ct);

    public Task<FlowStep> ResumeAtAsync(Flow flow, FlowState state, string node, CancellationToken ct) =>
        ResolveAsync(flow, FlowEngine.ResumeAt(flow, state, node, clock.GetUtcNow()), ct);

    private async Task<FlowStep> ResolveAsync(Flow flow, FlowStep step, CancellationToken ct)
    {
        for (var i = 0; i < MaxResolvedPerTurn; i++)
        {
            if (step.AwaitedAction is not { } action || _resolvers.FirstOrDefault(r => r.CanResolve(action)) is not { } resolver)
                return step;
            var result = await resolver.ResolveAsync(action, ct);
            var next = FlowEngine.Step(flow, step.State, result, clock.GetUtcNow());
            step = next with
            {
                Prompts = [.. step.Prompts, .. next.Prompts],
                Actions = [.. step.Actions.Where(a => !ReferenceEquals(a, action)), .. next.Actions],
                Events = [.. step.Events, .. next.Events],
            };
        }

        return step;
    }
}
