using ContactCenter.Bench;

// dotnet run -c Release --project bench/ContactCenter.Bench -- <scenario> [--events N] [--concurrency C] [--durable]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "inbound";
int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) ? value : fallback;
}

var durable = args.Contains("--durable");
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
    default:
        Console.Error.WriteLine($"Unknown scenario '{scenario}'. Scenarios: inbound, twilio, channels, flows");
        return 2;
}

return 0;
