using System.Net;
using System.Net.Sockets;

namespace ContactCenter.Core.Webhooks;

/// <summary>The connection went to an address targets may not have (checked on every connect).</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);

/// <summary>
/// Where deliveries may go: public addresses only (unless <see cref="WebhookOptions.AllowPrivateTargets"/>),
/// checked when a subscription is made and again on the address actually connected to, so a name that
/// later resolves to 127.0.0.1 or the cloud metadata address (DNS rebinding) is still refused.
/// </summary>
public static class WebhookTargets
{
    /// <summary>Why the URL cannot be a target, or null.</summary>
    public static async Task<string?> CheckAsync(string? url, bool allowPrivate, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url)) return "url is required.";
        if (url.Length > 2000) return "url is longer than 2000 characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            return "url must be an absolute http or https URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "url must not carry credentials; the signature authenticates deliveries.";
        if (allowPrivate) return null;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.DnsSafeHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct);
        }
        catch (SocketException)
        {
            return $"url's host '{uri.DnsSafeHost}' cannot be resolved.";
        }

        return addresses.Length == 0 ? $"url's host '{uri.DnsSafeHost}' has no addresses."
            : addresses.FirstOrDefault(IsPrivate) is { } bad ? $"url resolves to {bad}, a private or loopback address; targets must be public."
            : null;
    }

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b6 = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                   || (b6[0] & 0xfe) == 0xfc; // fc00::/7 unique local
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => true,
            100 => b[1] is >= 64 and <= 127,      // carrier-grade NAT
            169 => b[1] == 254,                   // link-local, cloud metadata
            172 => b[1] is >= 16 and <= 31,
            192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2), // private, IETF, TEST-NET-1
            198 => b[1] is 18 or 19,              // benchmarking
            >= 224 => true,                       // multicast, reserved, broadcast
            _ => false,
        };
    }

    /// <summary>The handler deliveries go through: no redirects, the address check at connect time.</summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
            if (!allowPrivate && addresses.FirstOrDefault(IsPrivate) is { } bad)
                throw new WebhookTargetRefusedException($"The target's host resolves to {bad}, a private or loopback address.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
