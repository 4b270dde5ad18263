using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Bot;

/// <summary>The bot end to end through the channel webhooks: answers, choices, lookups, idempotency.</summary>
public class BotConversationTests(BotFixture fx) : IClassFixture<BotFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetBotAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AQuestionOnWhatsAppIsAnsweredFromTheKnowledgeBaseAndContained()
    {
        const string customer = "+14155550201";
        await fx.SaysAsync(customer, "How do I reset my password?");
        var id = await fx.ConversationAsync("whatsapp", customer);

        var answer = await fx.LastReplyAsync(id, 1);
        Assert.Contains("How to reset your password", answer);
        Assert.Contains("Forgot password", answer);
        Assert.Contains("Did that answer your question?", answer);
        var conversation = await fx.App.ConversationAsync(id);
        Assert.Equal("bot", conversation["status"]!.GetValue<string>());
        // WhatsApp through Twilio gets the choices as numbered text.
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.WhatsAppSent(customer).Count == 1), "the answer reached Twilio");
        Assert.EndsWith("Did that answer your question?\n\n1. Yes\n2. No", fx.WhatsAppSent(customer)[0]);

        await fx.SaysAsync(customer, "1");
        Assert.Contains("anything else", await fx.LastReplyAsync(id, 2));
        await fx.SaysAsync(customer, "2");
        Assert.Contains("Thanks for contacting Northwind", await fx.LastReplyAsync(id, 3));

        conversation = await fx.App.WaitForStatusAsync(id, "resolved");
        Assert.Null(conversation["assignee"]);
        Assert.Empty(await fx.App.EventsAsync(id, "conversation.queued"));
        Assert.Empty(await fx.App.EventsAsync(id, "handoff.to_agent"));
        var metrics = await fx.App.Supervisor().GetJsonAsync("/api/bot/metrics");
        Assert.Equal(1, metrics["conversations"]!.GetValue<int>());
        Assert.Equal(1, metrics["contained"]!.GetValue<int>());
        Assert.Equal(0, metrics["handedOff"]!.GetValue<int>());
        Assert.Equal(1.0, metrics["containmentRate"]!.GetValue<double>());
        Assert.Equal(1, metrics["channels"]!["whatsapp"]!["contained"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnOrderNumberIsCollectedValidatedAndLookedUp()
    {
        const string customer = "+14155550203";
        await fx.SaysAsync(customer, "Where is my order?");
        var id = await fx.ConversationAsync("whatsapp", customer);
        Assert.Contains("What's your order number?", await fx.LastReplyAsync(id, 1));

        await fx.SaysAsync(customer, "it's the blue one");
        Assert.Contains("doesn't look like an order number", await fx.LastReplyAsync(id, 2));
        await fx.SaysAsync(customer, "NW-55555");
        var status = await fx.LastReplyAsync(id, 3);
        Assert.Contains("Order NW-55555 is shipped. Estimated delivery: 2026-11-30.", status);
        Assert.Contains("anything else", status);
        var lookup = Assert.Single(fx.Orders.Calls("/orders/NW-55555"));
        Assert.Equal("GET", lookup.Method);
    }

    [Fact]
    public async Task ARedeliveredWebhookOrReactionGetsOneReply()
    {
        const string customer = "+14155550204";
        var sid = TwilioRequests.NewSid();
        await fx.SaysAsync(customer, "How do I reset my password?", sid);
        await fx.SaysAsync(customer, "How do I reset my password?", sid);
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        await fx.SettledAsync();

        // The reaction itself delivered again (a crash after the reply, before its row was deleted).
        var received = await fx.ScalarAsync("select id from timeline_events where conversation_id = $1 and type = 'message.received'", id);
        await fx.ScalarAsync("""
            insert into work_items (kind, ordering_key, order_at, due_at, conversation_id, event_id, created_at)
            values ('event', $2::text, now(), now(), $2, $1, now()) returning event_id
            """, received, id);
        await fx.SettledAsync();

        Assert.Single(await fx.App.EventsAsync(id, "bot.reply"));
        Assert.Equal(1, await fx.ScalarAsync("select count(*) from outbound_messages where conversation_id = $1", id));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.WhatsAppSent(customer).Count >= 1), "the reply reached Twilio");
        await Task.Delay(300);
        Assert.Single(fx.WhatsAppSent(customer));
    }

    [Fact]
    public async Task ATelegramButtonPressPicksTheOption()
    {
        await fx.App.PostUpdateWithSecretAsync(TelegramWire.Update(7001, "message", TelegramWire.Text(5151, 1, "/start")));
        var id = await ConversationIdAsync("telegram", "5151");
        Assert.Contains("How can I help you today?", await fx.LastReplyAsync(id, 1));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Telegram.Calls("/sendMessage").Count == 1), "the menu reached Telegram");
        var menu = fx.Telegram.Calls("/sendMessage")[0];
        var buttons = menu.Body!["reply_markup"]!["inline_keyboard"]!.AsArray().Select(row => row![0]!).ToList();
        Assert.Equal(["order", "billing", "question", "agent"], buttons.Select(b => b["callback_data"]!.GetValue<string>()));
        Assert.Equal("Billing", buttons[1]["text"]!.GetValue<string>());

        var query = new JsonObject
        {
            ["id"] = "cbq-bot-1",
            ["from"] = TelegramWire.User(5151),
            ["message"] = JsonNode.Parse(menu.Body!.ToJsonString())!.AsObject() is var sent ? new JsonObject
            {
                ["message_id"] = 5001, ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = 5151, ["type"] = "private" },
                ["from"] = new JsonObject { ["id"] = 123456, ["is_bot"] = true, ["first_name"] = "Northwind" },
                ["text"] = sent["text"]!.DeepClone(), ["reply_markup"] = sent["reply_markup"]!.DeepClone(),
            } : null,
            ["chat_instance"] = "ci-bot",
            ["data"] = "billing",
        };
        await fx.App.PostUpdateWithSecretAsync(TelegramWire.Update(7002, "callback_query", query));
        Assert.Contains("Which order is the charge about?", await fx.LastReplyAsync(id, 2));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Telegram.Calls("/sendMessage").Count == 2), "the question reached Telegram");
        Assert.Contains("Which order", fx.Telegram.Calls("/sendMessage")[1].Body!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task InstagramGetsQuickRepliesAndAQuickReplyPicksTheOption()
    {
        const string sender = "17841400000000042";
        await PostMetaAsync(MetaWire.Text(sender, "m_in_1", "hi"));
        var id = await ConversationIdAsync("instagram", sender);
        Assert.Contains("How can I help you today?", await fx.LastReplyAsync(id, 1));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Graph.Calls("/messages").Count == 1), "the menu reached the Graph API");
        var quickReplies = fx.Graph.Calls("/messages")[0].Body!["message"]!["quick_replies"]!.AsArray();
        Assert.Equal(["order", "billing", "question", "agent"], quickReplies.Select(q => q!["payload"]!.GetValue<string>()));

        await PostMetaAsync(MetaWire.Event(sender, null, new JsonObject
        {
            ["message"] = new JsonObject { ["mid"] = "m_in_2", ["text"] = "Order status", ["quick_reply"] = new JsonObject { ["payload"] = "order" } },
        }));
        Assert.Contains("What's your order number?", await fx.LastReplyAsync(id, 2));
    }

    private async Task PostMetaAsync(JsonObject messagingEvent)
    {
        var response = await fx.App.PostNotificationAsync(MetaWire.Notification("instagram", [messagingEvent]));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<Guid> ConversationIdAsync(string channel, string address)
    {
        JsonNode? customer = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            var response = await fx.App.Agent().GetAsync($"/api/customers?channel={channel}&address={address}");
            if (response.StatusCode != HttpStatusCode.OK) return false;
            customer = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return true;
        }, "the customer exists");
        return Guid.Parse(customer!["openConversations"]![0]!["id"]!.GetValue<string>());
    }
}

public static class BotTelegram
{
    public static async Task PostUpdateWithSecretAsync(this ContactCenterApp app, JsonNode update)
    {
        var response = await app.PostUpdateAsync(update, BotFixture.TelegramSecret);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
