namespace ContactCenter.Server.Commands;

/// <summary>
/// Operator commands run through the same binary:
/// <c>dotnet run --project src/ContactCenter.Server -- &lt;command&gt; …</c>. Each command is a static
/// method registered here by name; anything else starts the web service.
/// </summary>
public static class CommandLine
{
    private static readonly Dictionary<string, (string Help, Func<string[], IConfiguration, Task<int>> Run)> Commands =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["help"] = ("list the commands", (_, _) => Task.FromResult(PrintHelp())),
            ["telegram"] = (Channels.Telegram.TelegramCommands.Usage, (args, configuration) => Channels.Telegram.TelegramCommands.RunAsync(args, configuration, Console.Out)),
            ["flows"] = (FlowCommands.Help, FlowCommands.RunAsync),
        };

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.ContainsKey(args[0]);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, LoadConfiguration());

    /// <summary>A command with the configuration given (the tests pass theirs).</summary>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration)
    {
        var (_, run) = Commands[args[0]];
        return await run(args[1..], configuration);
    }

    /// <summary>The service's configuration (appsettings, the environment's file, environment variables).</summary>
    public static IConfiguration LoadConfiguration()
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
                          ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
    }

    private static int PrintHelp()
    {
        Console.WriteLine("Commands (dotnet run --project src/ContactCenter.Server -- <command>):");
        foreach (var (name, (help, _)) in Commands.OrderBy(c => c.Key)) Console.WriteLine($"  {name,-20} {help}");
        Console.WriteLine("With no command the web service starts.");
        return 0;
    }
}
