using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Tests.Accounts;

/// <summary>The admin API for people and keys, the one-time password link, the audit trail of those changes, and CSRF on every cookie post.</summary>
public class AccountsAdminTests(AccountsFixture fx) : IClassFixture<AccountsFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAndSeedAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AOneTimeLinkSetsThePasswordOnceAndExpires()
    {
        var id = await fx.CreateUserAsync("ann@example.test", "first-password-1");
        var link = await fx.App.Admin().PostJsonAsync($"/api/users/{id}/password-link", new { }, HttpStatusCode.OK);
        var url = new Uri(link["url"]!.GetValue<string>());
        var token = System.Web.HttpUtility.ParseQueryString(url.Query)["token"]!;

        var browser = new CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(url.PathAndQuery)).StatusCode);
        var set = await browser.PostFormAsync("/set-password", new() { ["token"] = token, ["password"] = "second-password-2", ["confirm"] = "second-password-2" },
            tokenFrom: url.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Contains("Password set", await set.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInJsonAsync("ann@example.test", "second-password-2")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new CookieSession(fx.App).SignInJsonAsync("ann@example.test", "first-password-1")).StatusCode);

        // The same link again: refused, the password stays.
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(url.PathAndQuery)).StatusCode);
        // (A browser that is not signed in: the form token of /login is an anonymous one.)
        var again = await new CookieSession(fx.App).PostFormAsync("/set-password", new() { ["token"] = token, ["password"] = "third-password-3", ["confirm"] = "third-password-3" });
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new CookieSession(fx.App).SignInJsonAsync("ann@example.test", "third-password-3")).StatusCode);

        // A fresh link that is not used in time (Auth:PasswordLinkLifetime is an hour here) expires.
        var late = new Uri((await fx.App.Admin().PostJsonAsync($"/api/users/{id}/password-link", new { }, HttpStatusCode.OK))["url"]!.GetValue<string>());
        fx.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var lateToken = System.Web.HttpUtility.ParseQueryString(late.Query)["token"]!;
        var expired = await new CookieSession(fx.App).PostFormAsync("/set-password", new() { ["token"] = lateToken, ["password"] = "fourth-password-4", ["confirm"] = "fourth-password-4" });
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);

        // Only digests are stored.
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await connection.Sql("select count(*) from password_links where token_hash = convert_to($1, 'UTF8')", token).ExecuteScalarAsync());
        Assert.Equal(1L, await connection.Sql("select count(*) from password_links where token_hash = sha256(convert_to($1, 'UTF8'))", token).ExecuteScalarAsync());
    }

    [Fact]
    public async Task IssuedApiKeysAreShownOnceWorkWithTheirRoleAndStopWhenRevokedOrExpired()
    {
        var admin = fx.App.Admin();
        var created = await admin.PostJsonAsync("/api/keys", new { name = "CRM", role = "integration" }, HttpStatusCode.Created);
        var key = created["key"]!.GetValue<string>();
        Assert.StartsWith("cck_", key);
        var listed = await admin.GetJsonAsync("/api/keys");
        Assert.DoesNotContain(key, listed.ToJsonString());
        Assert.Equal(key[..10], listed[0]!["prefix"]!.GetValue<string>());

        var crm = fx.App.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.NotFound, (await crm.GetAsync($"/api/customers/{Guid.NewGuid()}")).StatusCode); // past authorization
        Assert.Equal(HttpStatusCode.Forbidden, (await crm.GetAsync("/api/conversations")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/keys/{created["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await crm.GetAsync($"/api/customers/{Guid.NewGuid()}")).StatusCode);
        await (await admin.DeleteAsync($"/api/keys/{created["id"]}")).ProblemAsync(HttpStatusCode.NotFound);

        var expiring = await admin.PostJsonAsync("/api/keys",
            new { name = "Temp", role = "supervisor", expiresAt = fx.Clock.GetUtcNow().AddMinutes(5) }, HttpStatusCode.Created);
        var temp = fx.App.ClientWithKey(expiring["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await temp.GetAsync("/api/conversations")).StatusCode);
        fx.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await temp.GetAsync("/api/conversations")).StatusCode);

        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await connection.Sql("select count(*) from api_keys where key_hash = convert_to($1, 'UTF8') or prefix = $1", key).ExecuteScalarAsync());
        Assert.Equal(1L, await connection.Sql("select count(*) from api_keys where key_hash = sha256(convert_to($1, 'UTF8'))", key).ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("""{"email":"not-an-email","name":"A","role":"agent","agentId":"a"}""")]
    [InlineData("""{"email":"a@example.test","name":"","role":"agent","agentId":"a"}""")]
    [InlineData("""{"email":"a@example.test","name":"A","role":"owner"}""")]
    [InlineData("""{"email":"a@example.test","name":"A","role":"agent"}""")]
    [InlineData("""{"email":"a@example.test","name":"A","role":"admin","password":"short"}""")]
    [InlineData("""{"email":"a@example.test","name":"A","role":"agent","agentId":"has space"}""")]
    [InlineData("null")]
    public async Task BadUserInputIs400ProblemDetails(string body)
    {
        var response = await fx.App.Admin().PostAsync("/api/users", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheAdminApiIsForAdminsAndRefusesTakenEmails()
    {
        await fx.CreateUserAsync("ann@example.test", "first-password-1", agentId: "ann");
        await (await fx.App.Admin().PostAsJsonAsync("/api/users", new { email = "ANN@example.test", name = "Ann 2", role = "supervisor" }))
            .ProblemAsync(HttpStatusCode.Conflict);
        await (await fx.App.Admin().PostAsJsonAsync("/api/users", new { email = "other@example.test", name = "Other", role = "agent", agentId = "ann" }))
            .ProblemAsync(HttpStatusCode.Conflict);
        await (await fx.App.Supervisor().GetAsync("/api/users")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fx.App.Agent().PostAsJsonAsync("/api/keys", new { name = "x", role = "admin" })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fx.App.Supervisor().GetAsync("/api/audit")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fx.App.Admin().PostAsJsonAsync("/api/keys", new { name = "x", role = "admin", expiresAt = fx.Clock.GetUtcNow().AddDays(-1) }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Admin().GetAsync("/api/audit?from=yesterday")).ProblemAsync(HttpStatusCode.BadRequest);
        var list = (await fx.App.Admin().GetJsonAsync("/api/users")).ToJsonString();
        Assert.DoesNotContain("first-password-1", list);
        Assert.DoesNotContain("passwordHash", list, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AQAAAA", list); // the start of every Identity v3 hash
    }

    [Fact]
    public async Task EachAccountChangeWritesExactlyOneAuditRowWithoutSecrets()
    {
        var admin = fx.App.Admin();
        var id = await fx.CreateUserAsync("ann@example.test", "first-password-1");
        await AssertAuditedOnceAsync("user.created", id.ToString());
        await admin.PutJsonAsync($"/api/users/{id}", new { email = "ann@example.test", name = "Ann", role = "supervisor" }, HttpStatusCode.OK);
        await AssertAuditedOnceAsync("user.changed", id.ToString());
        var link = await admin.PostJsonAsync($"/api/users/{id}/password-link", new { }, HttpStatusCode.OK);
        await AssertAuditedOnceAsync("user.password-link-issued", id.ToString());
        var url = new Uri(link["url"]!.GetValue<string>());
        var browser = new CookieSession(fx.App);
        await browser.PostFormAsync("/set-password", new()
        {
            ["token"] = System.Web.HttpUtility.ParseQueryString(url.Query)["token"]!, ["password"] = "second-password-2", ["confirm"] = "second-password-2",
        }, tokenFrom: url.PathAndQuery);
        await AssertAuditedOnceAsync("user.password-set", id.ToString());
        var key = await admin.PostJsonAsync("/api/keys", new { name = "CRM", role = "integration" }, HttpStatusCode.Created);
        await AssertAuditedOnceAsync("key.created", key["id"]!.GetValue<string>());
        await admin.DeleteAsync($"/api/keys/{key["id"]}");
        await AssertAuditedOnceAsync("key.revoked", key["id"]!.GetValue<string>());

        var all = await admin.GetJsonAsync("/api/audit");
        Assert.Equal(6, all.AsArray().Count);
        Assert.Equal(5, all.AsArray().Count(e => e!["actorKind"]!.GetValue<string>() == "key" && e["actorName"]!.GetValue<string>() == "Test admin"));
        var text = all.ToJsonString();
        foreach (var secret in new[] { "first-password-1", "second-password-2", key["key"]!.GetValue<string>() }) Assert.DoesNotContain(secret, text);

        var userActions = await admin.GetJsonAsync("/api/audit?action=user.");
        Assert.Equal(4, userActions.AsArray().Count);
        var byAnn = await admin.GetJsonAsync("/api/audit?actor=Ann");
        Assert.Equal("user.password-set", Assert.Single(byAnn.AsArray())!["action"]!.GetValue<string>());
        var csv = new HttpRequestMessage(HttpMethod.Get, "/api/audit?action=key.");
        csv.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var csvResponse = await admin.SendAsync(csv);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var lines = (await csvResponse.Content.ReadAsStringAsync()).Trim().Split('\n');
        Assert.StartsWith("id,occurredAt,actorKind,actorId,actorName,ip,action", lines[0]);
        Assert.Equal(3, lines.Length);

        // Append-only: the database itself refuses to change or remove an entry.
        await using var connection = await fx.Db.OpenConnectionAsync();
        await Assert.ThrowsAsync<PostgresException>(() => connection.Sql("update audit_events set actor_name = 'someone else'").ExecuteNonQueryAsync());
        await Assert.ThrowsAsync<PostgresException>(() => connection.Sql("delete from audit_events").ExecuteNonQueryAsync());
    }

    /// <summary>
    /// Every route that changes something (enumerated from the app's endpoints, so a new one cannot be forgotten)
    /// refuses a cookie-authenticated call without the CSRF header before its handler runs.
    /// </summary>
    [Fact]
    public async Task EveryCookieAuthenticatedPostNeedsTheCsrfToken()
    {
        var browser = new CookieSession(fx.App);
        await browser.SignInAsync(AccountsFixture.AdminEmail, AccountsFixture.AdminPassword);
        var routes = AuthorizationMatrix.ApiRoutes(fx.App).Where(r => r.Method is not "GET").ToList();
        Assert.True(routes.Count > 30, $"only {routes.Count} routes found");
        foreach (var route in routes)
        {
            var response = await browser.ApiAsync(new HttpMethod(route.Method), route.Url, new { }, withCsrf: false);
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.Equal("Missing or invalid CSRF token", problem["title"]!.GetValue<string>());
        }

        // With the header the call gets through (here: creating a user).
        var created = await browser.ApiAsync(HttpMethod.Post, "/api/users", new { email = "new@example.test", name = "New", role = "supervisor" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal("user", await connection.Sql("select actor_kind from audit_events where action = 'user.created'").ExecuteScalarAsync());
    }

    private async Task AssertAuditedOnceAsync(string action, string targetId)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(1L, await connection.Sql("select count(*) from audit_events where action = $1 and target_id = $2", action, targetId).ExecuteScalarAsync());
        Assert.Equal(1L, await connection.Sql("select count(*) from audit_events where action = $1", action).ExecuteScalarAsync());
    }
}
