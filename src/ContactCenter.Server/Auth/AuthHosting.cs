using ContactCenter.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Auth;

public static class Policies
{
    // Each role may do what the one before it may.
    public const string Agent = "agent";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    /// <summary>Reading customers: every person's role, and other systems' integration keys.</summary>
    public const string CustomerReader = "customer-reader";
    /// <summary>Proactive notifications: supervisors (and admins) and integration keys.</summary>
    public const string Notifier = "notifier";
}

public static class AuthHosting
{
    private const string Smart = "Smart";

    /// <summary>
    /// API callers send a bearer key; people in a browser (the Hangfire dashboard, supervisor pages) log in
    /// once with their key at /login and carry a cookie. One policy scheme picks per request.
    /// </summary>
    public static IServiceCollection AddContactCenterAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection("Auth")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<ApiKeyStore>();
        services.AddContactCenterAccounts(configuration);
        services.AddOptions<AccountOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountOptions>, AccountOptionsValidator>();
        services.AddSingleton<AuditTrail>();

        services.AddAuthentication(Smart)
            .AddPolicyScheme(Smart, Smart, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? ApiKeyHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.Cookie.Name = "cc_session";
                o.Cookie.HttpOnly = true;
                // Lax, not Strict: a person following a link into the service (or coming back from the identity
                // provider) arrives signed in; cross-site posts still carry no cookie.
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.LoginPath = "/login";
                o.SlidingExpiration = true;
                // API calls answer 401/403 with problem details; only pages redirect to the login form.
                o.Events.OnRedirectToLogin = context => IsApi(context.Request) ? Unauthorized(context.HttpContext) : Redirect(context);
                o.Events.OnRedirectToAccessDenied = context => IsApi(context.Request)
                    ? Problems.WriteAsync(context.HttpContext, 403, "Forbidden", "Your role may not do this.")
                    : Problems.WriteAsync(context.HttpContext, 403, "Forbidden", "Your role may not open this page.");
            })
            .AddSingleSignOn(configuration);
        // Sessions live in PostgreSQL; the cookie is Secure everywhere but Development (plain http on a laptop).
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<SessionStore, IWebHostEnvironment, IOptions<AccountOptions>>((o, sessions, environment, accounts) =>
            {
                o.SessionStore = new SessionTicketStore(sessions);
                o.ExpireTimeSpan = accounts.Value.SessionLifetime;
                o.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Agent, p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Supervisor, p => p.RequireRole(Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.CustomerReader, p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Admin, Roles.Integration))
            .AddPolicy(Policies.Notifier, p => p.RequireRole(Roles.Supervisor, Roles.Admin, Roles.Integration));
        return services;
    }

    /// <summary>
    /// Runs before authentication: a sign-in post ends the session its request carries, so the cookie handler
    /// (which would otherwise renew that same session under the new identity) stores a new one: no session
    /// fixation, and the old cookie opens nothing. Cross-site posts carry no cookie (SameSite=Lax), so only the
    /// person's own sign-in form can end their session this way.
    /// </summary>
    public static IApplicationBuilder UseFreshSessionAtSignIn(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if ((HttpMethods.IsPost(context.Request.Method) && path.Equals("/login", StringComparison.OrdinalIgnoreCase))
                || path.Equals(SingleSignOn.CallbackPath, StringComparison.OrdinalIgnoreCase))
            {
                var options = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>()
                    .Get(CookieAuthenticationDefaults.AuthenticationScheme);
                var cookie = options.CookieManager.GetRequestCookie(context, options.Cookie.Name!);
                if (cookie is not null && options.TicketDataFormat.Unprotect(cookie) is { } ticket
                    && ticket.Principal.FindFirst(SessionIdClaim)?.Value is { } key)
                    await context.RequestServices.GetRequiredService<SessionStore>().EndAsync(key, context.RequestAborted);
            }

            await next(context);
        });

    // The claim the cookie handler keeps the session key in (CookieAuthenticationHandler.SessionIdClaim).
    private const string SessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    private static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/openapi");

    private static Task Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.WriteAsync(context, 401, "Unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'.");
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Start-up check of Auth:Users and the lockout settings: a bad seed says so instead of never signing in.</summary>
    private sealed class AccountOptionsValidator : IValidateOptions<AccountOptions>
    {
        public ValidateOptionsResult Validate(string? name, AccountOptions options)
        {
            var errors = new List<string>();
            if (options.MaxFailedSignIns < 1) errors.Add("Auth:MaxFailedSignIns must be at least 1.");
            if (options.LockoutFor <= TimeSpan.Zero) errors.Add("Auth:LockoutFor must be positive.");
            for (var i = 0; i < options.Users.Count; i++)
            {
                var user = options.Users[i];
                if (!user.Email.Contains('@', StringComparison.Ordinal)) errors.Add($"Auth:Users:{i} has no Email address.");
                if (user.Role.ToLowerInvariant() is not (Roles.Agent or Roles.Supervisor or Roles.Admin))
                    errors.Add($"Auth:Users:{i} has Role '{user.Role}'; use agent, supervisor or admin.");
                if (user.Role.Equals(Roles.Agent, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(user.AgentId))
                    errors.Add($"Auth:Users:{i} is an agent without an AgentId.");
                if (user.Password.Length < options.MinPasswordLength)
                    errors.Add($"Auth:Users:{i} has a Password shorter than {options.MinPasswordLength} characters.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }

    private sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuthOptions options)
        {
            var errors = ApiKeyStore.Validate(options).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
