namespace ContactCenter.Core.Forecast;

/// <summary>
/// The Erlang C model (M/M/N: Poisson arrivals, exponential handle times, N agents, nobody hangs up): the
/// probability that a contact waits, the average speed of answer, the service level and the agents a target needs.
/// Pure arithmetic; <see cref="QueueForecaster"/> feeds it from the timeline.
/// </summary>
public static class ErlangC
{
    /// <summary>Beyond this many agents the search for a target gives up (no real queue is staffed like that).</summary>
    public const int MaxAgents = 10_000;

    /// <summary>
    /// The probability that an arriving contact has to wait, for <paramref name="traffic"/> erlangs offered to
    /// <paramref name="agents"/> agents; 1 when the agents cannot keep up (traffic ≥ agents).
    /// </summary>
    /// <remarks>
    /// Computed through the Erlang B recursion B(k) = A·B(k−1) / (k + A·B(k−1)), then C = N·B / (N − A·(1 − B)):
    /// no factorials or powers, so it stays exact to double precision for thousands of agents, where A^N/N! overflows.
    /// </remarks>
    public static double ProbabilityOfWaiting(double traffic, int agents)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(traffic);
        ArgumentOutOfRangeException.ThrowIfNegative(agents);
        if (traffic == 0) return 0;
        if (agents <= traffic) return 1;
        var blocking = 1.0;
        for (var k = 1; k <= agents; k++) blocking = traffic * blocking / (k + traffic * blocking);
        return agents * blocking / (agents - traffic * (1 - blocking));
    }

    /// <summary>The average wait of all contacts (ASA), in the unit of <paramref name="handleTime"/>; infinity when overloaded.</summary>
    public static double AverageSpeedOfAnswer(double traffic, int agents, double handleTime)
    {
        if (traffic == 0) return 0;
        if (agents <= traffic) return double.PositiveInfinity;
        return ProbabilityOfWaiting(traffic, agents) * handleTime / (agents - traffic);
    }

    /// <summary>The share of contacts answered within <paramref name="within"/> (same unit as <paramref name="handleTime"/>).</summary>
    public static double ServiceLevel(double traffic, int agents, double handleTime, double within)
    {
        if (traffic == 0) return 1;
        if (agents <= traffic) return 0;
        return 1 - ProbabilityOfWaiting(traffic, agents) * Math.Exp(-(agents - traffic) * within / handleTime);
    }

    /// <summary>
    /// The fewest agents whose service level reaches <paramref name="share"/> within <paramref name="within"/>;
    /// 0 when nothing is offered; null when even <see cref="MaxAgents"/> would not do.
    /// </summary>
    public static int? AgentsNeeded(double traffic, double handleTime, double share, double within)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(traffic);
        if (share is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(share), share, "A share is in (0, 1].");
        if (traffic == 0) return 0;
        // The service level grows with every agent above the traffic, so the first one that reaches the share is it.
        for (var agents = (int)Math.Floor(traffic) + 1; agents <= MaxAgents; agents++)
        {
            if (ServiceLevel(traffic, agents, handleTime, within) >= share) return agents;
        }

        return null;
    }
}
