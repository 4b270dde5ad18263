using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Bot;

namespace ContactCenter.Tests.Bot;

/// <summary>The knowledge-base API: who may write, validation, search, and the seed folder.</summary>
public class KnowledgeBaseApiTests(BotFixture fx) : IClassFixture<BotFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetBotAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task SupervisorsWriteAgentsReadAndSearch()
    {
        var article = new { title = "Gift cards", body = "Gift cards never expire and can be used for any order on northwind.example.", language = "en", tags = new[] { "gift" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.App.Agent().PostAsJsonAsync("/api/kb/articles", article)).StatusCode);
        var created = await fx.App.Supervisor().PostJsonAsync("/api/kb/articles", article, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("gift-cards", created["slug"]!.GetValue<string>());
        Assert.Equal("api", created["source"]!.GetValue<string>());

        var read = await fx.App.Agent().GetJsonAsync($"/api/kb/articles/{id}");
        Assert.Equal("Gift cards", read["title"]!.GetValue<string>());
        var list = await fx.App.Agent().GetJsonAsync("/api/kb/articles?limit=100");
        Assert.Contains(list.AsArray(), a => a!["id"]!.GetValue<string>() == id);
        Assert.Contains(list.AsArray(), a => a!["slug"]!.GetValue<string>() == "reset-password");

        var hits = await fx.App.Agent().GetJsonAsync("/api/kb/articles?q=" + Uri.EscapeDataString("do gift cards expire?"));
        Assert.Equal(id, hits[0]!["article"]!["id"]!.GetValue<string>());
        Assert.True(hits[0]!["goodEnough"]!.GetValue<bool>());

        var edited = new { title = "Gift cards and vouchers", body = "Gift cards and vouchers never expire.", language = "en" };
        var updated = await (await fx.App.Supervisor().PutAsJsonAsync($"/api/kb/articles/{id}", edited)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Gift cards and vouchers", updated["title"]!.GetValue<string>());
        Assert.Contains("vouchers", (await fx.App.Agent().GetJsonAsync("/api/kb/articles?q=vouchers"))[0]!["article"]!["title"]!.GetValue<string>());

        await (await fx.App.Supervisor().PostAsJsonAsync("/api/kb/articles", article)).ProblemAsync(HttpStatusCode.Conflict);
        await (await fx.App.Agent().GetAsync($"/api/kb/articles/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fx.App.Supervisor().PutAsJsonAsync($"/api/kb/articles/{Guid.NewGuid()}", edited)).ProblemAsync(HttpStatusCode.NotFound);
    }

    public static TheoryData<string> BadArticles => new()
    {
        """{"body":"no title","language":"en"}""",
        """{"title":"No body","language":"en"}""",
        """{"title":"Klingon","body":"Qapla'","language":"tlh"}""",
        """{"title":"Bad slug","body":"x","slug":"Not A Slug!"}""",
        """{"title":"Too many tags","body":"x","tags":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"]}""",
        """{"title":"x","body":"x","tags":"not a list"}""",
        """not json""",
    };

    [Theory]
    [MemberData(nameof(BadArticles))]
    public async Task InvalidArticlesAre400(string body)
    {
        var response = await fx.App.Supervisor().PostAsync("/api/kb/articles", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(7, await fx.ScalarAsync("select count(*) from kb_articles"));
    }

    [Fact]
    public async Task SeedingIsIdempotentAndLeavesEditedArticlesAlone()
    {
        var seeder = fx.App.Service<KnowledgeSeeder>();
        Assert.Equal((0, 7), await seeder.SeedAsync(CancellationToken.None));
        var id = await fx.ScalarAsync("select count(*) from kb_articles where source = 'seed'");
        Assert.Equal(7, id);

        var reset = (await fx.App.Agent().GetJsonAsync("/api/kb/articles?q=reset+password"))[0]!["article"]!;
        await (await fx.App.Supervisor().PutAsJsonAsync($"/api/kb/articles/{reset["id"]}",
            new { title = "Resetting your password", body = "Use the Forgot password link.", language = "en" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal((0, 7), await seeder.SeedAsync(CancellationToken.None));
        Assert.Equal("Resetting your password", (await fx.App.Agent().GetJsonAsync($"/api/kb/articles/{reset["id"]}"))["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task AWeakMatchIsNotGoodEnough()
    {
        var hits = await fx.App.Agent().GetJsonAsync("/api/kb/articles?q=" + Uri.EscapeDataString("where is my order"));
        Assert.All(hits.AsArray(), h => Assert.False(h!["goodEnough"]!.GetValue<bool>()));
        var spanish = await fx.App.Agent().GetJsonAsync("/api/kb/articles?q=" + Uri.EscapeDataString("¿Cómo restablezco mi contraseña?"));
        Assert.Equal("restablecer-contrasena", spanish[0]!["article"]!["slug"]!.GetValue<string>());
        Assert.True(spanish[0]!["goodEnough"]!.GetValue<bool>(), spanish.ToJsonString());
        await (await fx.App.Agent().GetAsync("/api/kb/articles?q=")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Agent().GetAsync("/api/kb/articles?language=xx")).ProblemAsync(HttpStatusCode.BadRequest);
    }
}
