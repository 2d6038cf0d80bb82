using DmVoice.TestSupport.Push;

namespace DmVoice.Gateway.Tests.Observability;

/// <summary>Push failures and a backing-up outbox, as the alerts DmVoicePushFailing and DmVoicePushBacklog see them.</summary>
public sealed class PushMetricsTests : IAsyncLifetime
{
    private const string PushSecret = "push-secret-of-at-least-32-bytes-0123456789";

    private PushReceiver _push = null!;
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _push = await PushReceiver.StartAsync();
        _server = await GatewayServer.StartAsync(settings =>
        {
            settings["Push:Url"] = _push.Url.ToString();
            settings["Push:Secret"] = PushSecret;
            settings["Push:RetryDelay"] = "00:00:00.100";
            settings["Push:RetryMaxDelay"] = "00:00:00.500";
            settings["Push:MaxAttempts"] = "100";
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _push.DisposeAsync();
    }

    [Fact]
    public async Task Notifications_the_push_service_turns_away_count_as_retried_and_wait_as_retrying_until_it_takes_them()
    {
        using var metrics = new MetricReader(_server, "dmvoice.push.notifications", "dmvoice.push.pending");
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var scrape = await PrometheusText.ScrapeAsync(_server.ManagementAddress);
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_push_notifications_total", ("type", PushTypes.RingStarted), ("result", "retried")));
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_push_pending", ("state", "retrying")));
        Assert.Equal(0, metrics.Observe("dmvoice.push.pending"));

        // Bob has no device connected: his ring goes to the push service, which is down.
        _push.AnswerAlways(bob.UserId, new PushReply(503));
        await alice.JoinAsync(dm.Id);

        await Eventually.TrueAsync(
            () => metrics.Sum("dmvoice.push.notifications", ("type", PushTypes.RingStarted), ("result", "retried")) >= 2,
            "failed attempts to be counted");
        Assert.Equal(1, metrics.Observe("dmvoice.push.pending", ("state", "retrying")));
        Assert.Equal(0, metrics.Sum("dmvoice.push.notifications", ("result", "delivered")));

        // The push service is back: the ring is delivered and nothing waits.
        _push.StopAnsweringAlways(bob.UserId);
        await Eventually.TrueAsync(
            () => metrics.Sum("dmvoice.push.notifications", ("type", PushTypes.RingStarted), ("result", "delivered")) == 1,
            "the ring to be delivered");
        await Eventually.TrueAsync(() => metrics.Observe("dmvoice.push.pending") == 0, "the outbox to empty");
    }
}
