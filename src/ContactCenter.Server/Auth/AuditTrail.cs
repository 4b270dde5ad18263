using System.Security.Claims;
using ContactCenter.Core.Accounts;

namespace ContactCenter.Server.Auth;

/// <summary>Writes an audit entry for the caller of a request: the person (user id) or the key, and their address.</summary>
public sealed class AuditTrail(AuditLog log)
{
    public Task RecordAsync(HttpContext http, string action, string? targetType, string? targetId, object? data = null) =>
        log.RecordAsync(ActorOf(http), action, targetType, targetId, data, http.RequestAborted);

    public static AuditActor ActorOf(HttpContext http)
    {
        var user = http.User;
        var ip = http.Connection.RemoteIpAddress?.ToString();
        var name = user.Identity?.Name ?? "unknown";
        if (user.FindFirstValue(Roles.UserIdClaim) is { } userId) return new AuditActor(AuditActor.UserKind, userId, name, ip);
        if (user.FindFirstValue(Roles.KeyIdClaim) is { } keyId) return new AuditActor(AuditActor.KeyKind, keyId, name, ip);
        return AuditActor.System with { Ip = ip };
    }
}
