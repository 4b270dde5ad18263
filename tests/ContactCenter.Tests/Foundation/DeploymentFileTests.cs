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
}
