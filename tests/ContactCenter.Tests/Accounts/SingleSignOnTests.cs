using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace ContactCenter.Tests.Accounts;

/// <summary>
/// A small fake identity provider: WireMock serves discovery, the signing keys and the token endpoint.
/// People unknown here are refused (<c>Auth:Oidc:CreateUsers</c> off); <see cref="SsoCreatingUsersFixture"/> turns it on.
/// </summary>
public class SsoFixture : AppFixture
{
    public const string ClientId = "contactcenter-test";
    public WireMockServer Idp { get; } = WireMockServer.Start();
    public RSA Key { get; } = RSA.Create(2048);
    public string Issuer => Idp.Url!;

    public SsoFixture()
    {
        Idp.Given(Request.Create().WithPath("/.well-known/openid-configuration").UsingGet()).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json").WithBody(new JsonObject
            {
                ["issuer"] = Issuer, ["authorization_endpoint"] = Issuer + "/authorize", ["token_endpoint"] = Issuer + "/token",
                ["jwks_uri"] = Issuer + "/jwks", ["response_types_supported"] = new JsonArray("code"),
                ["subject_types_supported"] = new JsonArray("public"), ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            }.ToJsonString()));
        var parameters = Key.ExportParameters(false);
        Idp.Given(Request.Create().WithPath("/jwks").UsingGet()).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json").WithBody(new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = "test-key",
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus), ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                }),
            }.ToJsonString()));
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Oidc:Authority"] = Issuer,
        ["Auth:Oidc:ClientId"] = ClientId,
        ["Auth:Oidc:ClientSecret"] = "test-client-secret",
        ["Auth:Oidc:RoleClaim"] = "roles",
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:CreateUsers"] = CreateUsers ? "true" : "false",
        ["Auth:SignInsPerMinute"] = "1000",
    };

    protected virtual bool CreateUsers => false;

    /// <summary>The token endpoint answers <paramref name="code"/> with an id token for <paramref name="email"/>, signed here.</summary>
    public void IssueFor(string code, string email, string nonce, string? role)
    {
        var claims = new Dictionary<string, object> { ["email"] = email, ["email_verified"] = true, ["name"] = email.Split('@')[0], ["nonce"] = nonce };
        if (role is not null) claims["roles"] = role;
        var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer, Audience = ClientId, Subject = new System.Security.Claims.ClaimsIdentity([new("sub", "idp-" + email)]),
            Claims = claims, Expires = DateTime.UtcNow.AddMinutes(5), IssuedAt = DateTime.UtcNow, NotBefore = DateTime.UtcNow.AddMinutes(-1),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(Key) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
        });
        Idp.Given(Request.Create().WithPath("/token").UsingPost().WithBody(new WildcardMatcher($"*code={code}*"))).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json")
            .WithBody(new JsonObject { ["id_token"] = idToken, ["access_token"] = "at-" + code, ["token_type"] = "Bearer", ["expires_in"] = 300 }.ToJsonString()));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Idp.Stop();
        Key.Dispose();
    }
}

public class SingleSignOnTests(SsoFixture fx) : IClassFixture<SsoFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AnExistingUserSignsInThroughTheIdentityProviderWithTheRoleItNames()
    {
        await fx.App.Admin().PostJsonAsync("/api/users", new { email = "ann@example.test", name = "Ann", role = "agent", agentId = "ann" }, HttpStatusCode.Created);
        var browser = new CookieSession(fx.App);
        var (state, nonce, authorize) = await ChallengeAsync(browser, "/supervisor");
        Assert.Equal(SsoFixture.ClientId, authorize["client_id"]);
        Assert.EndsWith("/login/sso/callback", authorize["redirect_uri"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        fx.IssueFor("code-ann", "ANN@example.test", nonce, role: "supervisor");

        var callback = await browser.GetAsync($"/login/sso/callback?code=code-ann&state={Uri.EscapeDataString(state)}");
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/supervisor", callback.Headers.Location!.OriginalString);
        var session = await browser.SessionAsync();
        Assert.Equal("Ann", session!["name"]!.GetValue<string>());
        Assert.Equal("supervisor", session["role"]!.GetValue<string>());
        // The code was redeemed with the client secret and the PKCE verifier, at the provider's token endpoint.
        var redeem = Assert.Single(fx.Idp.LogEntries, e => e.RequestMessage.Path == "/token");
        Assert.Contains("code_verifier=", redeem.RequestMessage.Body);
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(1L, await connection.Sql("select count(*) from user_sessions where ended_at is null and user_id is not null").ExecuteScalarAsync());
    }

    /// <summary>With <c>Auth:Oidc:CreateUsers</c> off (this fixture), a valid token for someone unknown here signs nobody in.</summary>
    [Fact]
    public async Task SomeoneWithoutAUserHereIsRefusedAndATamperedStateToo()
    {
        var browser = new CookieSession(fx.App);
        var (state, nonce, _) = await ChallengeAsync(browser, "/desk");
        fx.IssueFor("code-stranger", "stranger@example.test", nonce, role: "admin");
        var refused = await browser.GetAsync($"/login/sso/callback?code=code-stranger&state={Uri.EscapeDataString(state)}");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Equal("/login?sso=refused", refused.Headers.Location!.OriginalString);
        Assert.Null(browser.SessionCookie);

        var other = new CookieSession(fx.App);
        var (_, otherNonce, _) = await ChallengeAsync(other, "/desk");
        fx.IssueFor("code-forged", "stranger@example.test", otherNonce, role: null);
        var forged = await other.GetAsync("/login/sso/callback?code=code-forged&state=not-the-state");
        Assert.Equal("/login?sso=refused", forged.Headers.Location!.OriginalString);
        Assert.Null(other.SessionCookie);
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await connection.Sql("select count(*) from users").ExecuteScalarAsync());
    }

    /// <summary>The browser asks to sign in through the provider: the state, nonce and query of the redirect to it.</summary>
    internal static async Task<(string State, string Nonce, Dictionary<string, string> Query)> ChallengeAsync(CookieSession browser, string returnUrl)
    {
        var challenge = await browser.GetAsync("/login/sso?returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var location = challenge.Headers.Location!;
        Assert.Equal("/authorize", location.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        var values = query.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => query[k]!);
        return (values["state"], values["nonce"], values);
    }
}

/// <summary>The fake identity provider, with <c>Auth:Oidc:CreateUsers</c> on.</summary>
public sealed class SsoCreatingUsersFixture : SsoFixture
{
    protected override bool CreateUsers => true;
}

public class SingleSignOnCreatesUsersTests(SsoCreatingUsersFixture fx) : IClassFixture<SsoCreatingUsersFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task SomeoneUnknownHereIsCreatedWithTheDefaultRoleOnTheirFirstSignInAndFoundAfterwards()
    {
        var browser = new CookieSession(fx.App);
        var (state, nonce, _) = await SingleSignOnTests.ChallengeAsync(browser, "/desk");
        fx.IssueFor("code-newcomer", "New.Comer@example.test", nonce, role: null);
        var callback = await browser.GetAsync($"/login/sso/callback?code=code-newcomer&state={Uri.EscapeDataString(state)}");
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/desk", callback.Headers.Location!.OriginalString);
        var session = await browser.SessionAsync();
        Assert.Equal("agent", session!["role"]!.GetValue<string>());
        Assert.Equal("New.Comer", session["agentId"]!.GetValue<string>());

        var user = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/users")).AsArray())!;
        Assert.Equal("new.comer@example.test", user["email"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal(("agent", "New.Comer"), (user["role"]!.GetValue<string>(), user["agentId"]!.GetValue<string>()));
        Assert.Empty(user["queues"]!.AsArray());
        var created = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=user.created")).AsArray())!;
        Assert.Equal(user["id"]!.GetValue<string>(), created["targetId"]!.GetValue<string>());
        Assert.Equal("sso", created["data"]!["via"]!.GetValue<string>());

        // The second time they are the user made the first time: nobody new, nothing more on the audit trail.
        var again = new CookieSession(fx.App);
        var (state2, nonce2, _) = await SingleSignOnTests.ChallengeAsync(again, "/desk");
        fx.IssueFor("code-newcomer-2", "new.comer@example.test", nonce2, role: null);
        Assert.Equal("/desk", (await again.GetAsync($"/login/sso/callback?code=code-newcomer-2&state={Uri.EscapeDataString(state2)}")).Headers.Location!.OriginalString);
        Assert.Equal("New.Comer", (await again.SessionAsync())!["agentId"]!.GetValue<string>());
        Assert.Single((await fx.App.Admin().GetJsonAsync("/api/users")).AsArray());
        Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=user.created")).AsArray());
    }
}
