using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Webhooks;

namespace ContactCenter.Tests.Integrations;

/// <summary>The production default: private and loopback targets refused.</summary>
public class WebhookTargetTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> FieldAsync(object request)
    {
        var response = await fx.App.Admin().PostAsJsonAsync("/api/webhooks/subscriptions", request, TestSupport.Json);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        return problem["field"]!.GetValue<string>();
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://192.168.0.10/hook")]
    [InlineData("ftp://example.com/hook")]
    [InlineData("https://user:pass@example.com/hook")]
    public async Task PrivateLoopbackAndOddTargetsAreRefusedNamingTheUrl(string url)
    {
        Assert.Equal("url", await FieldAsync(new { url, events = new[] { "message.received" } }));
        Assert.Empty((await fx.App.Admin().GetJsonAsync("/api/webhooks/subscriptions")).AsArray());
    }

    [Fact]
    public async Task UnknownEventTypesAndChannelsAreRefusedNamingTheField()
    {
        Assert.Equal("events[1]", await FieldAsync(new { url = "https://93.184.215.14/hook", events = new[] { "message.received", "message.recieved" } }));
        Assert.Equal("events", await FieldAsync(new { url = "https://93.184.215.14/hook", events = Array.Empty<string>() }));
        Assert.Equal("channels[0]", await FieldAsync(new { url = "https://93.184.215.14/hook", events = new[] { "message.received" }, channels = new[] { "fax" } }));
    }

    [Fact]
    public async Task OnlyAdminsManageSubscriptions()
    {
        await (await fx.App.Supervisor().GetAsync("/api/webhooks/subscriptions")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fx.App.Agent().PostAsJsonAsync("/api/webhooks/subscriptions", new { url = "https://93.184.215.14/" })).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task TheConnectTimeCheckRefusesANameThatResolvesToLoopback()
    {
        // What a rebinding name looks like when it is connected to: its address is checked, not the name given at subscribe time.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new HttpClient(WebhookTargets.CreateHandler(allowPrivate: false));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://localhost:{port}/hook", new StringContent("{}")));
        Assert.IsType<WebhookTargetRefusedException>(e.InnerException);
        Assert.False(listener.Pending()); // nothing connected
        using var allowed = new HttpClient(WebhookTargets.CreateHandler(allowPrivate: true)) { Timeout = TimeSpan.FromSeconds(2) };
        var connect = allowed.PostAsync($"http://localhost:{port}/hook", new StringContent("{}"));
        using var accepted = await listener.AcceptTcpClientAsync(); // with private targets allowed, it does connect
        Assert.True(accepted.Connected);
    }

    [Fact]
    public void PrivateAddressesAreRecognised()
    {
        foreach (var a in new[] { "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1" })
            Assert.True(WebhookTargets.IsPrivate(IPAddress.Parse(a)), a);
        foreach (var a in new[] { "93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111" })
            Assert.False(WebhookTargets.IsPrivate(IPAddress.Parse(a)), a);
    }
}
