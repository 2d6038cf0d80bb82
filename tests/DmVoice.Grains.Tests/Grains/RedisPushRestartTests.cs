using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using DmVoice.TestSupport.Push;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Tests.Grains;

/// <summary>
/// A notification the push service has not taken survives a restart of every silo, in Redis mode: it is in the
/// outbox's stored state, and a reminder wakes the outbox to send it, with the same idempotency key.
/// </summary>
public sealed class RedisPushRestartTests
{
    private const string Secret = "redis-push-secret-0123456789-abcdefghij";

    [Fact]
    public async Task A_ring_notification_pending_when_every_silo_stops_is_delivered_after_they_restart_with_the_same_key()
    {
        await using var receiver = await PushReceiver.StartAsync();
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2, new Dictionary<string, string?>
        {
            ["Push:Url"] = receiver.Url.ToString(),
            ["Push:Secret"] = Secret,
            ["Push:RetryDelay"] = "00:00:02",
            ["Push:RetryMaxDelay"] = "00:00:02",
            ["Push:MaxAttempts"] = "100",
        });
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        receiver.AnswerAlways(bob, new PushReply(503));
        var ring = new RingStartedPush("dm-restart", "call-1", Guid.NewGuid().ToString("N"), alice, "Alice", cluster.Time.GetUtcNow() + TimeSpan.FromHours(1), false, false);

        await cluster.Client.GetGrain<IPushOutboxGrain>(bob).RingStarted(ring);
        await receiver.WaitForAsync(bob, r => r.Count == 1, "the first attempt, which fails");
        await Eventually.GetAsync(() => RemindersAsync(cluster, bob), r => r.Count == 1, "the outbox to hold a reminder for what it still owes");

        await cluster.StopAllAsync();
        receiver.StopAnsweringAlways(bob);
        await cluster.StartSilosAsync(2);
        await cluster.StartClientAsync();

        // The reminder's tick, as the reminder service delivers it after the restart.
        var outbox = cluster.Client.GetGrain<IPushOutboxGrain>(bob);
        await cluster.Client.GetGrain<IRemindable>(outbox.GetGrainId())
            .ReceiveReminder("push-outbox", new Orleans.Runtime.TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));

        var attempts = await receiver.WaitForAsync(bob, r => r.Any(a => a.Answered == 200), "the notification after the restart");
        var failedBeforeRestart = attempts.Count - 1;
        Assert.Equal([.. Enumerable.Repeat(503, failedBeforeRestart), 200], attempts.Select(a => a.Answered));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Header("Idempotency-Key"), a.Header("Idempotency-Key")));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        Assert.Equal((failedBeforeRestart + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), attempts[^1].Header("X-DmVoice-Attempt"));
        Assert.True(PushVerification.IsFromDmVoice(Secret, attempts[^1], DateTimeOffset.UtcNow));
        await Eventually.GetAsync(() => RemindersAsync(cluster, bob), r => r.Count == 0, "the outbox to let its reminder go once it owes nothing");
    }

    private static async Task<IList<ReminderEntry>> RemindersAsync(RedisModeCluster cluster, string userId)
    {
        var table = cluster.SiloServices().GetRequiredService<IReminderTable>();
        return (await table.ReadRows(cluster.Client.GetGrain<IPushOutboxGrain>(userId).GetGrainId())).Reminders;
    }
}
