using ContactCenter.Server.Auth;

namespace ContactCenter.Server.Pages;

/// <summary>
/// The agent desk at <c>/desk</c>: one static page (cookie sign-in at /login) whose scripts load the inbox and the
/// open conversation from the API and follow <c>/api/desk/live</c>, server-sent events fed by PostgreSQL
/// LISTEN/NOTIFY, so whichever instance took a message every desk hears of it.
/// </summary>
public static class DeskPage
{
    public static IEndpointRouteBuilder MapDeskPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/desk", () => Results.Content(Html, "text/html; charset=utf-8"))
            .RequireAuthorization(Policies.Agent).ExcludeFromDescription();
        return app;
    }

    // Markup only: every piece of customer text is put in by the scripts as text (textContent), never as HTML.
    private const string Html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: desk</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/assets/site.css"><link rel="stylesheet" href="/assets/desk.css">
        <link rel="stylesheet" href="/assets/softphone.css"></head><body>
        <header class="bar">
          <h1>Desk</h1>
          <span id="me" class="muted"></span>
          <label for="status-select">My status</label>
          <select id="status-select"><option value="available">Available</option><option value="away">Away</option><option value="offline">Offline</option></select>
          <span id="load" class="badge" aria-live="polite"></span>
          <span id="state" class="muted" role="status">connecting…</span>
          <button type="button" id="shortcuts-button" aria-expanded="false" aria-controls="shortcuts">Shortcuts</button>
          <form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>
        </header>
        <div id="shortcuts" class="shortcuts" hidden>
          <p><kbd>j</kbd> / <kbd>k</kbd> next / previous conversation · <kbd>r</kbd> focus the reply · <kbd>n</kbd> write a note ·
          <kbd>e</kbd> resolve · <kbd>Ctrl</kbd>+<kbd>Enter</kbd> send · <kbd>/</kbd> at the start of a reply: canned replies · <kbd>Esc</kbd> leave a field</p>
        </div>
        <main class="desk">
          <nav id="inbox" aria-label="Inbox">
            <form id="filters" class="filters">
              <label for="filter-channel">Channel</label>
              <select id="filter-channel" name="channel"><option value="">all</option><option>whatsapp</option><option>sms</option><option>voice</option>
                <option>telegram</option><option>messenger</option><option>instagram</option><option>email</option><option>webchat</option></select>
              <label for="filter-status">Status</label>
              <select id="filter-status" name="status"><option value="">all</option><option>assigned</option><option>queued</option><option>open</option><option>bot</option></select>
              <label for="filter-queue">Queue</label>
              <select id="filter-queue" name="queue"><option value="">all</option></select>
              <label for="filter-tag">Tag</label>
              <input id="filter-tag" name="tag" type="search" autocomplete="off">
            </form>
            <h2 id="mine-heading">Mine <span id="mine-count" class="badge"></span></h2>
            <ul id="inbox-mine" class="items" aria-labelledby="mine-heading"></ul>
            <h2 id="mentions-heading">Mentions <span id="mentions-count" class="badge"></span></h2>
            <ul id="inbox-mentions" class="items" aria-labelledby="mentions-heading"></ul>
            <h2 id="waiting-heading">Waiting in my queues <span id="waiting-count" class="badge"></span></h2>
            <ul id="inbox-waiting" class="items" aria-labelledby="waiting-heading"></ul>
          </nav>
          <section id="conversation" aria-label="Conversation" hidden>
            <header class="conversation-head">
              <h2 id="conversation-title"></h2>
              <p id="conversation-meta" class="muted"></p>
              <p id="presence" class="presence" aria-live="polite"></p>
              <div id="owner-banner" class="banner" role="status" hidden><span id="owner-text"></span>
                <button type="button" id="take-over">Take over</button><button type="button" id="pick">Take it</button></div>
            </header>
            <section id="handoff" class="handoff" aria-label="Handoff context" hidden></section>
            <ol id="timeline" class="timeline" aria-label="Timeline" aria-live="polite"></ol>
            <form id="composer" class="composer" novalidate>
              <fieldset class="mode"><legend class="sr-only">Write</legend>
                <label><input type="radio" name="mode" value="reply" checked> Customer reply</label>
                <label><input type="radio" name="mode" value="note"> Internal note</label></fieldset>
              <p id="rules" class="rules" role="note"></p>
              <div id="template-box" hidden>
                <label for="template-select">Approved template</label>
                <select id="template-select"></select>
                <div id="template-variables"></div>
                <p id="template-preview" class="preview"></p>
              </div>
              <div id="text-box">
                <label for="reply" id="reply-label">Reply</label>
                <textarea id="reply" rows="3" autocomplete="off" aria-describedby="rules counter reply-error"></textarea>
                <ul id="canned-list" class="canned" role="listbox" aria-label="Canned replies" hidden></ul>
              </div>
              <p id="counter" class="muted"></p>
              <p id="reply-error" class="error" role="alert"></p>
              <button type="submit" id="send" class="primary">Send</button>
            </form>
          </section>
          <aside id="side" aria-label="Customer and actions" hidden>
            <section id="customer-card" aria-labelledby="customer-heading">
              <h2 id="customer-heading">Customer</h2>
              <form id="profile">
                <label for="customer-name">Name</label><input id="customer-name" autocomplete="off">
                <label for="customer-email">E-mail</label><input id="customer-email" type="email" autocomplete="off">
                <button type="submit">Save</button> <span id="profile-state" role="status" class="muted"></span>
              </form>
              <h3>Identities</h3><ul id="identities"></ul>
              <h3>Conversations</h3><ul id="customer-conversations"></ul>
              <form id="merge" hidden>
                <label for="merge-other">Merge another customer into this one (customer id)</label>
                <input id="merge-other" autocomplete="off"><button type="submit">Merge</button>
              </form>
            </section>
            <section id="actions" aria-labelledby="actions-heading">
              <h2 id="actions-heading">Actions</h2>
              <p><button type="button" id="resolve">Resolve</button> <button type="button" id="reopen" hidden>Reopen</button></p>
              <div class="tags"><span id="tags"></span>
                <form id="tag-form"><label for="tag-input">Add tag</label><input id="tag-input" autocomplete="off"><button type="submit">Add</button></form></div>
              <form id="transfer">
                <label for="transfer-target">Transfer to</label><select id="transfer-target"></select>
                <label for="transfer-note">Note for the next person</label><textarea id="transfer-note" rows="2"></textarea>
                <button type="submit">Transfer</button>
              </form>
              <form id="to-bot">
                <label for="bot-node">Hand back to the bot at node</label><input id="bot-node" autocomplete="off" placeholder="e.g. survey">
                <button type="submit">Hand back</button>
              </form>
              <form id="priority-form">
                <label for="priority">Priority</label><input id="priority" type="number" min="-1000" max="1000" step="1">
                <button type="submit">Set</button>
              </form>
              <p id="action-state" role="status" class="muted"></p>
            </section>
          </aside>
          <p id="empty" class="muted empty">Pick a conversation from the inbox.</p>
          <!-- The softphone (softphone.js) shows whether a conversation is open or not, so a call rings whatever the agent looks at. -->
          <section id="softphone" aria-label="Softphone" data-softphone></section>
        </main>
        <script src="/assets/common.js"></script><script src="/assets/desk_composer.js"></script>
        <script src="/assets/desk_conversation.js"></script><script src="/assets/desk.js"></script>
        <script src="/assets/twilio_voice.min.js"></script><script src="/assets/softphone.js"></script></body></html>
        """;
}
