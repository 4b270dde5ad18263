using ContactCenter.Core.Flows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using WireMock.Server;

namespace ContactCenter.Tests.Flows;

/// <summary>
/// The service with a flows folder of its own (the shipped flows plus test flows), an order API faked by
/// WireMock.Net as the "orders" endpoint, and the flow clock fixed on a Monday morning in New York, so business
/// hours do not depend on when the tests run.
/// </summary>
public class FlowsFixture : AppFixture
{
    public const string OrdersApiKey = "test-orders-api-key";

    public WireMockServer Orders { get; } = WireMockServer.Start();
    public FakeTimeProvider FlowClock { get; } = new(FlowTestSupport.OpenMonday);
    public string FlowsPath { get; } = Directory.CreateTempSubdirectory("cc-flows-").FullName;

    public FlowsFixture()
    {
        // The shipped flows, with lookups given time enough for a loaded test machine (they allow 3 s).
        foreach (var file in Directory.EnumerateFiles(FlowTestSupport.FlowsFolder, "*.yaml"))
            File.WriteAllText(Path.Combine(FlowsPath, Path.GetFileName(file)), File.ReadAllText(file).Replace("timeout: 3s", "timeout: 20s"));

        File.WriteAllText(Path.Combine(FlowsPath, "patience.yaml"), """
            # Every wrong key is counted: a test of concurrent steps counts them.
            start: menu
            nodes:
              - id: menu
                kind: menu
                say: Press 1.
                retries: 10
                options: [{ id: one, key: "1", next: done }]
                fallback: done
              - { id: done, kind: hangup, say: Bye. }
            """);
        File.WriteAllText(Path.Combine(FlowsPath, "order-check.yaml"), """
            channel: messaging
            start: number
            nodes:
              - { id: number, kind: collect, say: Order number?, variable: order.number, validate: orderNumber, next: find, fallback: sorry }
              - id: find
                kind: lookup
                endpoint: orders
                url: "/orders/{order.number}"
                timeout: 500ms
                result: { order.status: status }
                next: found
                error: sorry
              - { id: found, kind: end, say: "Order {order.number} is {order.status}." }
              - { id: sorry, kind: handoff, say: "Lookup failed: {http.error}.", queue: support }
            """);
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Flows:Path"] = FlowsPath,
        ["Flows:Endpoints:orders:BaseUrl"] = Orders.Url + "/api",
        ["Flows:Endpoints:orders:Headers:X-Api-Key"] = OrdersApiKey,
    };

    protected override void ConfigureServices(IServiceCollection services)
    {
        // Only the flows run on the fixed clock; Hangfire and the workers keep real time.
        services.RemoveAll<FlowDriver>();
        services.AddSingleton(sp => new FlowDriver(sp.GetServices<IFlowActionResolver>(), FlowClock));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Orders.Stop();
        Orders.Dispose();
        Directory.Delete(FlowsPath, recursive: true);
    }
}
