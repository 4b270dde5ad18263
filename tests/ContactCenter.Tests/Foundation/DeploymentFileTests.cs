using System.Text.Json.Nodes;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Flows;
using YamlDotNet.RepresentationModel;

namespace ContactCenter.Tests.Foundation;

/// <summary>Docker cannot run here; these keep docker-compose.yml and the Dockerfile honest as the code moves.</summary>
public class DeploymentFileTests
{
    private static string Root => ContactCenterApp.RepositoryRoot;

    [Fact]
    public void ComposeParsesAndConfiguresTheServiceForProduction()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml"))) yaml.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        Assert.Contains(new YamlScalarNode("postgres"), services.Children.Keys);
        var service = (YamlMappingNode)services["contactcenter"];
        var environment = ((YamlMappingNode)service["environment"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();

        // Production refuses to start without a connection string, and nobody can call the API without keys.
        Assert.Contains("ConnectionStrings__ContactCenter", environment);
        Assert.Contains("Auth__ApiKeys__0__Key", environment);
        Assert.Contains("Auth__ApiKeys__0__Role", environment);
        var connection = ((YamlScalarNode)((YamlMappingNode)service["environment"])["ConnectionStrings__ContactCenter"]).Value!;
        Assert.Contains("Host=postgres", connection);
        Assert.DoesNotContain("Max Pool Size", connection); // Npgsql 10 only knows "Maximum Pool Size"
        Assert.Equal("service_healthy", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)service["depends_on"])["postgres"])["condition"]).Value);
    }

    [Fact]
    public void EveryPathTheDockerfileCopiesExists()
    {
        var sources = File.ReadAllLines(Path.Combine(Root, "Dockerfile"))
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from"))
            .SelectMany(l => l["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = Path.Combine(Root, source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"Dockerfile copies {source}, which does not exist");
        }
    }

    private static YamlMappingNode ComposeServices()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml"))) yaml.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    private static string Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path) node = ((YamlMappingNode)node)[key];
        return node is YamlSequenceNode list ? string.Join(" ", list.Children.Select(c => ((YamlScalarNode)c).Value)) : ((YamlScalarNode)node).Value!;
    }

    [Fact]
    public void PostgresAndTheServiceHaveHealthChecksAndTheServiceWaitsForPostgres()
    {
        var services = ComposeServices();
        Assert.Contains("pg_isready", Scalar(services, "postgres", "healthcheck", "test"));
        foreach (var instance in new[] { "contactcenter", "contactcenter-2" })
        {
            Assert.Contains("/health/ready", Scalar(services, instance, "healthcheck", "test"));
            Assert.Equal("service_healthy", Scalar(services, instance, "depends_on", "postgres", "condition"));
        }

        var logFormat = Scalar(services, "contactcenter", "environment", "Logging__Console__FormatterName");
        Assert.Equal("json", logFormat);
    }

    [Fact]
    public void TheScaledProfileRunsTwoInstancesOfOneConfigurationBehindAProxy()
    {
        var services = ComposeServices();
        var scaled = services.Children
            .Where(s => s.Value is YamlMappingNode m && m.Children.ContainsKey("profiles") && Scalar(m, "profiles").Split(' ').Contains("scaled"))
            .Select(s => ((YamlScalarNode)s.Key).Value!).ToList();
        Assert.Equal(["contactcenter-2", "proxy"], scaled);
        // The second instance is the first one's configuration (a YAML alias), not a copy that drifts.
        var first = (YamlMappingNode)((YamlMappingNode)services["contactcenter"])["environment"];
        var second = (YamlMappingNode)((YamlMappingNode)services["contactcenter-2"])["environment"];
        Assert.Equal(first.Children.Keys.Select(k => k.ToString()), second.Children.Keys.Select(k => k.ToString()));
        var proxy = Scalar(services, "proxy", "command");
        Assert.Contains("contactcenter:8080", proxy);
        Assert.Contains("contactcenter-2:8080", proxy);
        Assert.Equal("service_healthy", Scalar(services, "proxy", "depends_on", "contactcenter-2", "condition"));
    }

    [Fact]
    public void EveryPathTheServiceReadsAtRunTimeIsCopiedIntoTheImageWhichRunsAsNonRoot()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "Dockerfile")).Select(l => l.Trim()).ToList();
        var final = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
        // The content root is the working directory the entry point starts in.
        var workdir = final.Last(l => l.StartsWith("WORKDIR ", StringComparison.Ordinal))["WORKDIR ".Length..].Trim();
        Assert.Equal("/app", workdir);
        Assert.Contains(final, l => l == """ENTRYPOINT ["dotnet", "ContactCenter.Server.dll"]""");
        // What each COPY of the final stage puts where, relative to the content root.
        var copied = final.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from"))
            .Select(l => l["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(parts => (Source: parts[0].TrimEnd('/'), Target: parts[^1].TrimEnd('/')))
            .ToList();

        // The content-root paths the service reads, taken from the code's defaults and the shipped settings.
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "appsettings.json")))!;
        var runtime = new[]
        {
            "appsettings.json",
            settings["Flows"]?["Path"]?.GetValue<string>() ?? new FlowOptions().Path,
            settings["Bot"]?["KnowledgeBase"]?["SeedPath"]?.GetValue<string>() ?? new KnowledgeBaseOptions().SeedPath,
        };
        foreach (var path in runtime)
        {
            var copy = copied.FirstOrDefault(c => c.Source == path);
            Assert.True(copy.Source is not null, $"the image does not copy {path}, which the service reads at run time");
            var target = copy.Target is "." ? path : copy.Target.TrimStart('.', '/');
            Assert.True(target == path, $"{path} is copied to {copy.Target}, not to the content root");
            Assert.True(File.Exists(Path.Combine(Root, path)) || Directory.EnumerateFiles(Path.Combine(Root, path)).Any(), $"{path} is empty");
        }

        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim().TrimEnd('/')).ToHashSet();
        Assert.DoesNotContain(ignored, i => runtime.Contains(i));
        var user = final.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        Assert.Contains(final, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.Contains("/health/ready"));
    }
}
