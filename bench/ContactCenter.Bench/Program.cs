using ContactCenter.Bench;

// dotnet run -c Release --project bench/ContactCenter.Bench -- <scenario> [--events N] [--concurrency C] [--durable]
// voice: [--calls N] [--concurrency C] [--think ms]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "inbound";
int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) ? value : fallback;
}

// The crash scenario restarts PostgreSQL: with fsync or synchronous_commit off an acknowledged commit could be lost
// by the restart itself, so it always runs durable.
var durable = args.Contains("--durable") || scenario == "crash";
await using var database = await BenchDatabase.StartAsync(durable);
Console.WriteLine($"PostgreSQL: {(durable ? "durable (fsync on)" : "throwaway, fsync off")}; {Environment.ProcessorCount} cores");

switch (scenario)
{
    case "inbound":
        foreach (var concurrency in args.Contains("--concurrency") ? [Option("--concurrency", 16)] : new[] { 1, 8, 32 })
            await InboundScenario.RunAsync(database, Option("--events", 20000), concurrency, Option("--customers", 1000));
        break;
    case "twilio":
        await TwilioMessagingScenario.RunAsync(database, Option("--events", 2000),
            args.Contains("--concurrency") ? [Option("--concurrency", 16)] : [1, 4, 16, 64], Option("--customers", 500));
        break;
    case "channels":
        foreach (var concurrency in args.Contains("--concurrency") ? [Option("--concurrency", 16)] : new[] { 1, 8 })
            await ChannelsScenario.RunAsync(database, Option("--events", 5000), concurrency);
        break;
    case "flows":
        await FlowScenario.RunAsync(database, Option("--calls", 4000),
            args.Contains("--concurrency") ? [Option("--concurrency", 16)] : [1, 32, 200]);
        break;
    case "clocks":
    {
        // Breach lateness: --clocks N (default 10000 then 100000), --scheduler deadlines|hangfire|both, --window s, --measure s.
        var schedulerIndex = Array.IndexOf(args, "--scheduler");
        var which = schedulerIndex >= 0 && schedulerIndex + 1 < args.Length ? args[schedulerIndex + 1] : "both";
        var schedulers = which switch
        {
            "deadlines" => new[] { ContactCenter.Core.ResponseTargets.ClockScheduler.Deadlines },
            "hangfire" => [ContactCenter.Core.ResponseTargets.ClockScheduler.Hangfire],
            _ => [ContactCenter.Core.ResponseTargets.ClockScheduler.Deadlines, ContactCenter.Core.ResponseTargets.ClockScheduler.Hangfire],
        };
        foreach (var clocks in args.Contains("--clocks") ? [Option("--clocks", 10000)] : new[] { 10000, 100000 })
            foreach (var scheduler in schedulers)
                await ClockScenario.RunAsync(database, clocks, scheduler, TimeSpan.FromSeconds(Option("--window", 600)),
                    TimeSpan.FromSeconds(Option("--measure", 60)));
        break;
    }
    case "twiml":
        TwimlWriterScenario.Run(Option("--turns", 20000));
        break;
    case "voice":
        await VoiceScenario.RunAsync(database, Option("--calls", 600), Option("--concurrency", 200), Option("--think", 0));
        break;
    case "assignment":
        await AssignmentScenario.RunAsync(database, Option("--waiting", 10000), Option("--agents", 1000), Option("--rate", 50));
        break;
    case "bot":
        // --customers N new conversations (first bot turn each), --concurrency C, --articles K in the knowledge base,
        // then --rate R new conversations per second for --seconds S (0: skip).
        await BotScenario.RunAsync(database, Option("--customers", 1000), Option("--concurrency", 16), Option("--articles", 5000),
            Option("--rate", 50), Option("--seconds", 10));
        break;
    case "pipeline":
        // --events N webhooks per level from --customers numbers, at --concurrency C (default 16 then 64).
        await PipelineScenario.RunBurstAsync(database, Option("--events", 5000), Option("--customers", 500),
            args.Contains("--concurrency") ? [Option("--concurrency", 16)] : [16, 64]);
        break;
    case "crash":
        await PipelineScenario.RunCrashAsync(database, Option("--events", 3000), Option("--customers", 300), Option("--concurrency", 16));
        break;
    case "integrations":
        // --events N fanned out to --subscribers S; a --recipients R notification batch at each --rate for --window s.
        if (!args.Contains("--no-webhooks")) await IntegrationsScenario.RunAsync(database, Option("--events", 10000), Option("--subscribers", 5));
        foreach (var rate in args.Contains("--rate") ? [Option("--rate", 100)] : new[] { 50, 200 })
            await IntegrationsScenario.BatchAsync(database, Option("--recipients", 10000), rate, Option("--window", 15));
        break;
    case "email":
        await EmailScenario.RunAsync(database, Option("--messages", 10000), Option("--samples", 200));
        break;
    case "desk":
        // --assigned N of the agent's, --waiting N in their queue, --desks N live, --rate messages/s, --seconds S, --memory-desks N.
        await DeskScenario.RunAsync(database, Option("--assigned", 50), Option("--waiting", 10000), Option("--desks", 50), Option("--rate", 100),
            Option("--seconds", 10), Option("--memory-desks", 500));
        break;
    case "reports":
        await ReportsScenario.RunAsync(database, Option("--conversations", 100000), Option("--events", 1000000), Option("--queues", 200), Option("--agents", 1000), Option("--runs", 10));
        break;
    case "timeline": await TimelineScenario.RunAsync(database, Option("--events", 100000), Option("--requests", 1000)); break;
    case "webchat": await WebchatScenario.RunAsync(database, Option("--visitors", 1000), Option("--new-visitors", 400), Option("--rate", 100), Option("--seconds", 10)); break;
    default:
        Console.Error.WriteLine($"Unknown scenario '{scenario}'. Scenarios: inbound, twilio, channels, flows, clocks, assignment, voice, bot, pipeline, crash, integrations, email, desk, reports, timeline, webchat");
        return 2;
}

return 0;
