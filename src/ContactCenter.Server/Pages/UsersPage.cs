using ContactCenter.Server.Auth;

namespace ContactCenter.Server.Pages;

/// <summary>
/// <c>/admin/users</c>: the people who sign in. A static page; <c>/assets/users.js</c> lists them from
/// <c>GET /api/users</c> (as text), adds people and issues one-time password links.
/// </summary>
public static class UsersPage
{
    public static IEndpointRouteBuilder MapUsersPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/users", () => Results.Content(Html, "text/html; charset=utf-8"))
            .RequireAuthorization(Policies.Admin).ExcludeFromDescription();
        return app;
    }

    private const string Html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: users</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/assets/site.css"></head><body>
        <h1>Users</h1>
        <p id="state" role="status" class="muted"></p>
        <table><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Agent id</th><th>Queues</th><th>State</th><th></th></tr></thead>
        <tbody id="users"></tbody></table>
        <h2>Add a person</h2>
        <form id="add-user">
          <label for="new-name">Name</label> <input id="new-name" name="name" required>
          <label for="new-email">Email</label> <input id="new-email" name="email" type="email" required>
          <label for="new-role">Role</label>
          <select id="new-role" name="role"><option>agent</option><option>supervisor</option><option>admin</option></select>
          <label for="new-agent">Agent id</label> <input id="new-agent" name="agentId">
          <label for="new-queues">Queues (comma-separated)</label> <input id="new-queues" name="queues">
          <button type="submit">Add</button>
        </form>
        <p id="link" class="muted" aria-live="polite"></p>
        <script src="/assets/common.js"></script><script src="/assets/users.js"></script></body></html>
        """;
}
