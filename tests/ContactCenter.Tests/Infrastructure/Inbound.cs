using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;

namespace ContactCenter.Tests.Infrastructure;

/// <summary>Inbound events as a channel adapter would build them, for tests of the core path.</summary>
public static class Inbound
{
    public static InboundEvent Message(Channel channel, string address, string providerId, string? text = null,
        DateTimeOffset? at = null, string? name = null) => new()
    {
        Channel = channel,
        Address = address,
        Provider = "test",
        ProviderEventId = providerId,
        OccurredAt = at ?? DateTimeOffset.UtcNow,
        Text = text ?? $"message {providerId}",
        CustomerName = name,
        CompanyAddress = channel.IsPhone() ? "+18005551212" : "company",
    };

    public static Task<InboundResult> ReceiveAsync(this ContactCenterApp app, InboundEvent inbound) =>
        app.Service<Inbox>().ReceiveAsync(inbound, CancellationToken.None);
}
