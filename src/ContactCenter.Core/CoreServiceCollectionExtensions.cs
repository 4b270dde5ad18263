using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Work;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ContactCenter.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>The domain services. The host registers the one <c>NpgsqlDataSource</c> and Hangfire.</summary>
    public static IServiceCollection AddContactCenterCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<AddressOptions>(configuration.GetSection("Addresses"));
        services.Configure<OutboxOptions>(configuration.GetSection("Outbox"));

        services.AddSingleton<AddressNormalizer>();
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<TimelineStore>();
        services.AddSingleton<ConversationStore>();
        services.AddSingleton<ConversationVisibility>();
        services.AddSingleton<CustomerStore>();
        services.AddSingleton<Inbox>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<ReplyRules>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<OutboundDispatchQueue>();
        services.AddHostedService<OutboundDispatchWorker>();
        services.AddContactCenterWork(configuration);
        return services;
    }
}
