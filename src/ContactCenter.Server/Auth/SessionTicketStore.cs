using System.Security.Claims;
using ContactCenter.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ContactCenter.Server.Auth;

/// <summary>
/// Keeps sign-in sessions in PostgreSQL (<see cref="SessionStore"/>): the cookie holds only a random session key,
/// protected by Data Protection. Every sign-in stores a new session (the cookie handler also ends the one the
/// request came with), so a cookie planted before sign-in is worthless after it; sign-out ends the row, so a
/// copied cookie stops working everywhere.
/// </summary>
public sealed class SessionTicketStore(SessionStore sessions) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, null!, CancellationToken.None);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) => StoreAsync(ticket, null!, cancellationToken);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var key = SessionStore.NewKey();
        var principal = ticket.Principal;
        var userId = Guid.TryParse(principal.FindFirstValue(Roles.UserIdClaim), out var id) ? id : (Guid?)null;
        await sessions.CreateAsync(key, userId, principal.Identity?.Name ?? "unknown", TicketSerializer.Default.Serialize(ticket),
            ticket.Properties.ExpiresUtc, httpContext?.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        sessions.RenewAsync(key, TicketSerializer.Default.Serialize(ticket), ticket.Properties.ExpiresUtc, cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) =>
        await sessions.GetAsync(key, cancellationToken) is { } session ? TicketSerializer.Default.Deserialize(session.Ticket) : null;

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => sessions.EndAsync(key, cancellationToken);

    /// <summary>Claims the sign-in cookie carries for a person: who they are, their role, agent id and queues.</summary>
    public static ClaimsPrincipal PrincipalFor(User user)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.Name, user.Name), new(ClaimTypes.Role, user.Role), new(Roles.UserIdClaim, user.Id.ToString()),
        ];
        if (user.AgentId is { } agentId) claims.Add(new Claim(Roles.AgentIdClaim, agentId));
        claims.AddRange(user.Queues.Select(q => new Claim(Roles.QueueClaim, q)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }
}
