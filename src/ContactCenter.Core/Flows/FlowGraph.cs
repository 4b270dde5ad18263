using YamlDotNet.RepresentationModel;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Checks a flow as a graph: every target exists, every node can be reached from the start, and no cycle runs
/// without waiting for the caller (such a loop would spin inside one webhook until the turn limit).
/// </summary>
internal static class FlowGraph
{
    /// <param name="declared">Every node id in the file, with its line, including nodes that failed to parse, so
    /// one broken node does not cascade into "unknown target" errors elsewhere.</param>
    /// <param name="complete">All nodes parsed: only then are reachability and loops meaningful.</param>
    public static void Check(FlowErrors errors, YamlNode startAt, string start, IReadOnlyDictionary<string, FlowNode> nodes,
        IReadOnlyDictionary<string, int> declared, bool complete, IReadOnlyList<string>? entries = null)
    {
        if (!declared.ContainsKey(start))
            errors.Add(startAt, null, "start", $"unknown node '{start}'{Suggest(start, declared.Keys)}");
        entries ??= [];
        foreach (var entry in entries.Where(e => !declared.ContainsKey(e)))
            errors.Add(startAt, null, "entries", $"unknown node '{entry}'{Suggest(entry, declared.Keys)}");

        foreach (var node in nodes.Values)
        {
            foreach (var (field, target) in node.Targets())
            {
                // A target missing from a broken node was already reported as "is required".
                if (target is not null && !declared.ContainsKey(target))
                    errors.List.Add(new FlowError(errors.File, node.Line, node.Id, field, $"unknown target '{target}'{Suggest(target, declared.Keys)}"));
            }
        }

        if (!complete || errors.List.Count > 0) return;

        var reached = new HashSet<string>([start, .. entries], StringComparer.Ordinal);
        var queue = new Queue<string>(reached);
        while (queue.TryDequeue(out var id))
        {
            foreach (var (_, target) in nodes[id].Targets())
            {
                if (reached.Add(target)) queue.Enqueue(target);
            }
        }

        foreach (var node in nodes.Values.Where(n => !reached.Contains(n.Id)).OrderBy(n => n.Line))
            errors.List.Add(new FlowError(errors.File, node.Line, node.Id, null, $"unreachable: no path from the start node '{start}' leads here"));

        foreach (var cycle in InstantCycles(nodes))
        {
            var first = nodes[cycle[0]];
            errors.List.Add(new FlowError(errors.File, first.Line, first.Id, null,
                $"loops without waiting for input: {string.Join(" → ", cycle.Append(cycle[0]))}; put a question (menu, collect …) in the loop"));
        }
    }

    /// <summary>Cycles among nodes that do not wait (say, set, branch, hours, lookup, answer), each reported once.</summary>
    private static List<List<string>> InstantCycles(IReadOnlyDictionary<string, FlowNode> nodes)
    {
        var cycles = new List<List<string>>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();

        foreach (var node in nodes.Values.Where(n => !n.Waits).OrderBy(n => n.Line)) Visit(node.Id);
        return cycles;

        void Visit(string id)
        {
            if (state.GetValueOrDefault(id) == 2) return;
            state[id] = 1;
            path.Add(id);
            foreach (var (_, target) in nodes[id].Targets().DistinctBy(t => t.Target))
            {
                if (!nodes.TryGetValue(target, out var next) || next.Waits) continue;
                if (state.GetValueOrDefault(target) == 1) cycles.Add(path.Skip(path.IndexOf(target)).ToList());
                else Visit(target);
            }

            path.RemoveAt(path.Count - 1);
            state[id] = 2;
        }
    }

    private static string Suggest(string wrong, IEnumerable<string> known)
    {
        var best = known.Select(k => (Id: k, Distance: Distance(wrong, k))).Where(k => k.Distance <= Math.Max(2, wrong.Length / 3))
            .OrderBy(k => k.Distance).FirstOrDefault();
        return best.Id is null ? "" : $" (did you mean '{best.Id}'?)";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }

        return previous[b.Length];
    }
}
