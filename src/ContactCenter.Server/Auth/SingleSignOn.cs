using System.Security.Claims;
using ContactCenter.Core.Accounts;
using ContactCenter.Server.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ContactCenter.Server.Auth;

/// <summary><c>Auth:Oidc</c>: the company's identity provider, for single sign-on.</summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The id token claim whose value (agent, supervisor, admin) is the person's role; empty: the user's own role.</summary>
    public string RoleClaim { get; set; } = "roles";
    /// <summary>Create a user on first sign-in (else only existing users, matched by email, may sign in).</summary>
    public bool CreateUsers { get; set; }
    public string DefaultRole { get; set; } = Roles.Agent;
    /// <summary>Off only for a test or a laptop identity provider on plain http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>
/// OpenID Connect sign-in (authorization code flow with PKCE) at <c>/login/sso</c>; the provider sends the
/// person back to <c>/login/sso/callback</c>. The id token's email picks the user; the session is then the
/// same server-side session a password sign-in makes.
/// </summary>
public static partial class SingleSignOn
{
    public const string Scheme = "oidc";
    public const string CallbackPath = "/login/sso/callback";

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["Auth:Oidc:Authority"]) && !string.IsNullOrWhiteSpace(configuration["Auth:Oidc:ClientId"]);

    public static AuthenticationBuilder AddSingleSignOn(this AuthenticationBuilder builder, IConfiguration configuration)
    {
        var options = configuration.GetSection("Auth:Oidc").Get<OidcOptions>() ?? new OidcOptions();
        builder.Services.AddSingleton(options);
        if (!IsConfigured(configuration)) return builder;
        return builder.AddOpenIdConnect(Scheme, "Company account", o =>
        {
            o.Authority = options.Authority;
            o.ClientId = options.ClientId;
            o.ClientSecret = options.ClientSecret;
            o.RequireHttpsMetadata = options.RequireHttpsMetadata;
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.UsePkce = true;
            o.CallbackPath = CallbackPath;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.Scope.Clear();
            foreach (var scope in new[] { "openid", "profile", "email" }) o.Scope.Add(scope);
            o.Events.OnTokenValidated = context => UserFromTokenAsync(context, options);
            o.Events.OnRemoteFailure = context =>
            {
                context.Response.Redirect("/login?sso=refused");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    public static IEndpointRouteBuilder MapSingleSignOn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login/sso", (string? returnUrl, IConfiguration configuration) =>
                IsConfigured(configuration)
                    ? Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl is not null && LoginPages.IsLocal(returnUrl) ? returnUrl : "/" }, [Scheme])
                    : Problems.NotFound("Single sign-on is not configured (Auth:Oidc:Authority, Auth:Oidc:ClientId)."))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>The person behind the id token, as the session's principal; refuses unknown people unless CreateUsers.</summary>
    private static async Task UserFromTokenAsync(TokenValidatedContext context, OidcOptions options)
    {
        var token = context.Principal!;
        var email = token.FindFirstValue("email");
        var verified = token.FindFirstValue("email_verified");
        if (string.IsNullOrWhiteSpace(email) || verified == "false")
        {
            context.Fail("The identity provider sent no verified email.");
            return;
        }

        var users = context.HttpContext.RequestServices.GetRequiredService<UserStore>();
        var claimed = token.FindAll(options.RoleClaim).Select(c => c.Value.ToLowerInvariant())
            .FirstOrDefault(r => r is Roles.Agent or Roles.Supervisor or Roles.Admin);
        var user = await users.FindByEmailAsync(email, context.HttpContext.RequestAborted);
        if (user is null && options.CreateUsers)
        {
            var role = claimed ?? options.DefaultRole;
            var name = token.FindFirstValue("name") ?? email.Split('@')[0];
            user = await users.CreateAsync(new UserInput(email, name, role, role == Roles.Agent ? AgentIdFor(email) : null, [], Disabled: false),
                password: null, context.HttpContext.RequestAborted);
            if (user is not null)
            {
                await context.HttpContext.RequestServices.GetRequiredService<AuditLog>().RecordAsync(
                    new AuditActor(AuditActor.UserKind, user.Id.ToString(), user.Name, context.HttpContext.Connection.RemoteIpAddress?.ToString()),
                    AuditActions.UserCreated, "user", user.Id.ToString(), new { user.Role, via = "sso" }, context.HttpContext.RequestAborted);
            }
        }

        if (user is null || user.Disabled)
        {
            context.Fail("No such user here.");
            return;
        }

        // The provider's role claim, when it names one of ours, is the role of this session.
        context.Principal = SessionTicketStore.PrincipalFor(claimed is null ? user : user with { Role = claimed });
    }

    private static string AgentIdFor(string email) =>
        AgentIdCharacters().Replace(email.Split('@')[0], "-") is { Length: > 0 and <= 100 } id ? id : Guid.NewGuid().ToString("N");

    [System.Text.RegularExpressions.GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial System.Text.RegularExpressions.Regex AgentIdCharacters();
}
