using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ContactCenter.Core.Flows;

public static class FlowServiceCollectionExtensions
{
    /// <summary>
    /// Loads and validates every flow in <c>Flows:Path</c> (relative to <paramref name="contentRoot"/>) now, so a
    /// broken flow stops the host before it takes a call: <see cref="FlowValidationException"/> lists every error.
    /// <paramref name="addressBots"/> are the bots channel adapters configure per company address (a mailbox's own bot).
    /// </summary>
    public static IServiceCollection AddContactCenterFlows(this IServiceCollection services, IConfiguration configuration, string contentRoot,
        IEnumerable<AddressBot>? addressBots = null)
    {
        var section = configuration.GetSection("Flows");
        services.Configure<FlowOptions>(section);
        var options = section.Get<FlowOptions>() ?? new FlowOptions();
        services.AddSingleton(FlowCatalog.Load(contentRoot, options, addressBots));

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(FlowLookupRunner.HttpClientName, client => client.MaxResponseContentBufferSize = 1024 * 1024);
        services.AddSingleton<FlowLookupRunner>();
        services.AddSingleton<IFlowActionResolver>(sp => sp.GetRequiredService<FlowLookupRunner>());
        services.AddSingleton<FlowDriver>();
        services.AddSingleton<FlowSessionStore>();
        return services;
    }
}
