using DmVoice.Grains.Push;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using DmVoice.TestSupport.Push;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Tests.Grains;

/// <summary>
/// The two-silo cluster with push on, pointed at a real push service on loopback; its storage lets a test
/// watch what an outbox stored (<see cref="StorageFaults.WaitForStoredAsync"/>).
/// </summary>
public sealed class PushClusterFixture : FaultyStorageClusterFixture
{
    public const string Secret = "push-tests-secret-0123456789-abcdefghij";

    public PushReceiver Receiver { get; private set; } = null!;

    protected override async ValueTask PrepareAsync() => Receiver = await PushReceiver.StartAsync();

    protected override void AddSettings(Dictionary<string, string?> settings)
    {
        base.AddSettings(settings);
        settings["Push:Url"] = Receiver.Url.ToString();
        settings["Push:Secret"] = Secret;
        settings["Push:Timeout"] = "00:00:02";
        settings["Push:RetryDelay"] = "00:00:00.050";
        settings["Push:RetryMaxDelay"] = "00:00:00.200";
        settings["Push:MaxAttempts"] = "4";
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Push notifications as a push service receives them: signed so that its check (the one docs/API.md shows)
/// accepts them and nothing else, delivered at least once with a stable idempotency key, retried after
/// failures and timeouts, and never waited for by whoever hands them over.
/// </summary>
public sealed class PushOutboxTests(PushClusterFixture fx) : IClassFixture<PushClusterFixture>
{
    private PushReceiver Receiver => fx.Receiver;

    private IPushOutboxGrain Outbox(string userId) => fx.Client.GetGrain<IPushOutboxGrain>(userId);

    private RingStartedPush Ring(string caller, bool hasLiveDevice = false) => new(
        "dm-" + Guid.NewGuid().ToString("N")[..8], "call-1", Guid.NewGuid().ToString("N"), caller, "Alice",
        fx.Time.GetUtcNow() + TimeSpan.FromSeconds(30), hasLiveDevice, IsGroup: false);

    [Fact]
    public async Task A_ring_start_reaches_the_push_service_saying_who_rings_whom_where_and_until_when_signed_so_its_check_accepts_it()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var ring = Ring(alice, hasLiveDevice: true);

        await Outbox(bob).RingStarted(ring);

        var push = Assert.Single(await Receiver.WaitForAsync(bob, r => r.Count == 1, "bob's ring notification"));
        var json = push.Json;
        Assert.Equal($"ring.started:{ring.RingId}", json.GetProperty("id").GetString());
        Assert.Equal(PushTypes.RingStarted, json.GetProperty("type").GetString());
        Assert.Equal(bob, json.GetProperty("recipientId").GetString());
        Assert.Equal(alice, json.GetProperty("callerId").GetString());
        Assert.Equal("Alice", json.GetProperty("callerName").GetString());
        Assert.Equal(ring.DmGroupId, json.GetProperty("dmGroupId").GetString());
        Assert.False(json.GetProperty("isGroup").GetBoolean());
        Assert.Equal(ring.CallId, json.GetProperty("callId").GetString());
        Assert.Equal(ring.RingId, json.GetProperty("ringId").GetString());
        Assert.Equal(ring.ExpiresAt, json.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.True(json.GetProperty("hasLiveDevice").GetBoolean());
        Assert.Equal(fx.Time.GetUtcNow(), json.GetProperty("createdAt").GetDateTimeOffset());

        Assert.Equal($"ring.started:{ring.RingId}", push.Header("Idempotency-Key"));
        Assert.Equal("1", push.Header("X-DmVoice-Attempt"));
        Assert.StartsWith("application/json", push.Header("Content-Type"), StringComparison.Ordinal);
        Assert.StartsWith("sha256=", push.Header("X-DmVoice-Signature"), StringComparison.Ordinal);
        Assert.True(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, push, DateTimeOffset.UtcNow));
        Assert.Single(await SettledAsync(bob, alice));
    }

    [Fact]
    public async Task The_receivers_check_refuses_a_wrong_secret_a_changed_body_a_missing_signature_and_an_old_or_future_timestamp()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        await Outbox(bob).RingStarted(Ring(alice));
        var push = Assert.Single(await Receiver.WaitForAsync(bob, r => r.Count == 1, "bob's ring notification"));
        var now = DateTimeOffset.UtcNow;
        var timestamp = push.Header("X-DmVoice-Timestamp");
        var signature = push.Header("X-DmVoice-Signature");
        Assert.True(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, timestamp, signature, push.Body, now));

        Assert.False(PushVerification.IsFromDmVoice("another-secret-of-at-least-32-bytes!!", timestamp, signature, push.Body, now));
        var changed = (byte[])push.Body.Clone();
        changed[^2] ^= 1;
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, timestamp, signature, changed, now));
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, timestamp, null, push.Body, now));
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, null, signature, push.Body, now));

        // Replayed later, or signed with another timestamp than the one sent: refused.
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, timestamp, signature, push.Body, now + TimeSpan.FromMinutes(6)));
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, timestamp, signature, push.Body, now - TimeSpan.FromMinutes(6)));
        var otherTime = (long.Parse(timestamp!, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, otherTime, signature, push.Body, now));
    }

    [Fact]
    public async Task After_500s_the_same_notification_comes_again_with_the_same_body_and_idempotency_key_until_it_is_taken()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        Receiver.Script(bob, new PushReply(500), new PushReply(503));
        var ring = Ring(alice);

        await Outbox(bob).RingStarted(ring);

        var attempts = await Receiver.WaitForAsync(bob, r => r.Any(a => a.Answered == 200), "bob's notification to be taken");
        Assert.Equal([500, 503, 200], attempts.Select(a => a.Answered));
        Assert.Equal(["1", "2", "3"], attempts.Select(a => a.Header("X-DmVoice-Attempt")));
        Assert.All(attempts, a => Assert.Equal($"ring.started:{ring.RingId}", a.Header("Idempotency-Key")));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        Assert.All(attempts, a => Assert.True(PushVerification.IsFromDmVoice(PushClusterFixture.Secret, a, DateTimeOffset.UtcNow)));
        Assert.Equal([500, 503, 200], (await SettledAsync(bob, alice)).Select(a => a.Answered));
    }

    [Fact]
    public async Task A_push_service_that_does_not_answer_in_time_gets_the_notification_again()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        Receiver.Script(bob, PushReply.NoAnswer);
        var ring = Ring(alice);

        await Outbox(bob).RingStarted(ring);

        var attempts = await Receiver.WaitForAsync(bob, r => r.Any(a => a.Answered == 200), "the retry after the timeout");
        Assert.Equal([0, 200], attempts.Select(a => a.Answered));
        Assert.Equal(attempts[0].Header("Idempotency-Key"), attempts[1].Header("Idempotency-Key"));
    }

    [Fact]
    public async Task Handing_over_never_waits_for_the_push_service_even_while_it_hangs()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var (first, second) = (Ring(alice), Ring(alice));
        fx.Faults.Watch(OutboxState, bob);
        Receiver.AnswerAlways(bob, PushReply.NoAnswer);
        try
        {
            // Each hand-over returns although the push service has answered none of the attempts.
            await Outbox(bob).RingStarted(first);
            await Outbox(bob).RingStarted(second);
            await Receiver.WaitForAsync(bob, r => r.Count >= 1, "an attempt that hangs");
            Assert.All(Receiver.For(bob), r => Assert.Equal(0, r.Answered));
            await StoredAsync(bob, writes => new[] { first.RingId, second.RingId }.All(id => writes.Any(w => w.Pending.Exists(p => p.RingId == id))), "both rings stored");
        }
        finally
        {
            Receiver.StopAnsweringAlways(bob);
        }

        // Once the service answers, both are taken. Hand-overs are one-way, so the two may have reached
        // the outbox in either order; a hung attempt answered late counts once, as the service keeps one per key.
        var taken = (await SettledAsync(bob, alice)).Where(a => a.Answered == 200).Select(RingIdOf).Distinct();
        Assert.Equal(new[] { first.RingId, second.RingId }.Order(), taken.Order());
    }

    [Fact]
    public async Task A_400_is_not_retried_but_408_and_429_are()
    {
        var (alice, bob, carol) = (TestIds.User("alice"), TestIds.User("bob"), TestIds.User("carol"));
        Receiver.Script(bob, new PushReply(400));
        Receiver.Script(carol, new PushReply(408), new PushReply(429, RetryAfterSeconds: 0));

        await Outbox(bob).RingStarted(Ring(alice));
        await Outbox(carol).RingStarted(Ring(alice));

        await Receiver.WaitForAsync(bob, r => r.Count == 1, "bob's notification, refused");
        var carols = await Receiver.WaitForAsync(carol, r => r.Any(a => a.Answered == 200), "carol's notification after 408 and 429");
        Assert.Equal([408, 429, 200], carols.Select(a => a.Answered));
        Assert.Equal([400], (await SettledAsync(bob, alice)).Select(a => a.Answered));
    }

    [Fact]
    public async Task A_notification_that_keeps_failing_is_given_up_after_the_last_attempt()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        Receiver.AnswerAlways(bob, new PushReply(502));
        try
        {
            await Outbox(bob).RingStarted(Ring(alice));
            await Receiver.WaitForAsync(bob, r => r.Count == 4, "the four attempts allowed");
        }
        finally
        {
            Receiver.StopAnsweringAlways(bob);
        }

        // Given up: the next notification goes out, and the failed one is not tried again.
        var attempts = await SettledAsync(bob, alice);
        Assert.Equal([502, 502, 502, 502], attempts.Select(a => a.Answered));
    }

    [Fact]
    public async Task A_ring_stop_follows_its_start_with_the_reason_and_a_ring_that_stopped_before_its_start_went_out_is_never_sent()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var first = Ring(alice);
        var second = Ring(alice);
        fx.Faults.Watch(OutboxState, bob);
        Receiver.AnswerAlways(bob, PushReply.NoAnswer);

        await Outbox(bob).RingStarted(first);
        await Receiver.WaitForAsync(bob, r => r.Count == 1, "the first attempt, which gets no answer");

        // These wait behind the first, which holds the outbox until it is taken. Hand-overs are one-way and
        // Orleans may deliver them in any order; what matters is that all three are in before the push service
        // answers again, and the outbox stores each one it deals with.
        await Outbox(bob).RingStarted(second);
        await Outbox(bob).RingStopped(new RingStoppedPush(second.DmGroupId, second.CallId, second.RingId, RingOutcomes.Cancelled));
        await Outbox(bob).RingStopped(new RingStoppedPush(first.DmGroupId, first.CallId, first.RingId, RingOutcomes.Accepted));
        await StoredAsync(
            bob,
            writes => DroppedUnsent(writes, second.RingId) && writes[^1].Pending.Exists(p => p.Id == $"ring.stopped:{first.RingId}"),
            "the second ring dropped unsent and the first ring's stop queued");
        Receiver.StopAnsweringAlways(bob);

        await Receiver.WaitForAsync(bob, r => r.Any(a => a.Json.GetProperty("type").GetString() == PushTypes.RingStopped && a.Answered == 200), "the stop");
        // Delivery is at least once (an answer slower than the timeout is sent again): the service keeps one per key.
        var delivered = (await SettledAsync(bob, alice)).Where(a => a.Answered == 200)
            .DistinctBy(a => a.Header("Idempotency-Key")).Select(a => a.Json).ToArray();
        Assert.Equal([PushTypes.RingStarted, PushTypes.RingStopped], delivered.Select(j => j.GetProperty("type").GetString()));
        Assert.All(delivered, j => Assert.Equal(first.RingId, j.GetProperty("ringId").GetString()));
        var stop = delivered[1];
        Assert.Equal(RingOutcomes.Accepted, stop.GetProperty("reason").GetString());
        Assert.Equal($"ring.stopped:{first.RingId}", stop.GetProperty("id").GetString());
        Assert.Equal(first.DmGroupId, stop.GetProperty("dmGroupId").GetString());
        Assert.DoesNotContain(Receiver.For(bob), a => a.Json.GetProperty("ringId").GetString() == second.RingId);
    }

    [Fact]
    public async Task A_stop_that_overtakes_its_start_means_the_phone_is_never_told_about_that_ring()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var overtaken = Ring(alice);
        fx.Faults.Watch(OutboxState, bob);

        // The stop is stored (as the stop of a ring not seen yet) before its start is handed over.
        await Outbox(bob).RingStopped(new RingStoppedPush(overtaken.DmGroupId, overtaken.CallId, overtaken.RingId, RingOutcomes.Cancelled));
        await StoredAsync(bob, writes => writes.Any(w => w.StoppedUnseen.Contains(overtaken.RingId)), "the stop of a ring not seen yet");
        await Outbox(bob).RingStarted(overtaken);
        var later = Ring(alice);
        await Outbox(bob).RingStarted(later);
        await Receiver.WaitForAsync(bob, r => r.Any(a => RingIdOf(a) == later.RingId), "the later ring");

        // At least once: an answer slower than the push timeout (a busy machine) is sent again.
        Assert.Equal([later.RingId], (await SettledAsync(bob, alice)).Select(RingIdOf).Distinct());
    }

    [Fact]
    public async Task A_repeated_hand_over_and_a_ring_already_over_are_not_sent()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var ring = Ring(alice);
        await Outbox(bob).RingStarted(ring);
        await Receiver.WaitForAsync(bob, r => r.Count == 1, "the notification");

        await Outbox(bob).RingStarted(ring);
        await Outbox(bob).RingStarted(Ring(alice) with { ExpiresAt = fx.Time.GetUtcNow() - TimeSpan.FromSeconds(1) });
        await Outbox(bob).RingStopped(new RingStoppedPush(ring.DmGroupId, ring.CallId, ring.RingId, RingOutcomes.Missed));

        // One-way hand-overs may arrive in any order: whenever the repeat and the expired ring arrive, neither
        // is sent, so the stop and a later ring are all that follow the first notification.
        await Receiver.WaitForAsync(bob, r => r.Count == 2, "the stop");
        var all = await SettledAsync(bob, alice);
        Assert.Equal([PushTypes.RingStarted, PushTypes.RingStopped], all.Select(a => a.Json.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task What_a_call_hands_to_the_silos_push_notifier_reaches_the_push_service()
    {
        var (alice, bob) = (TestIds.User("alice"), TestIds.User("bob"));
        var notifier = fx.SiloServices.GetRequiredService<IPushNotifier>();
        Assert.True(notifier.IsEnabled);
        var ring = Ring(alice);

        notifier.RingStarted(bob, ring);
        await Receiver.WaitForAsync(bob, r => r.Count == 1, "the ring handed to the notifier");
        notifier.RingStopped(bob, new RingStoppedPush(ring.DmGroupId, ring.CallId, ring.RingId, RingOutcomes.Declined));

        var both = await Receiver.WaitForAsync(bob, r => r.Count == 2, "the stop handed to the notifier");
        Assert.Equal(RingOutcomes.Declined, both[1].Json.GetProperty("reason").GetString());
    }

    /// <summary>
    /// Hands over one more ring and waits until the push service has taken it. An outbox sends in order,
    /// one notification at a time, so by then everything it had before was taken or given up and will not
    /// be sent again. Returns what the service received for this user before that ring. One-way hand-overs
    /// may arrive in any order, so callers first wait for a sign that the earlier ones are in (an attempt
    /// the service saw, or a write the outbox stored).
    /// </summary>
    private async Task<IReadOnlyList<ReceivedPush>> SettledAsync(string recipient, string caller)
    {
        var sentinel = Ring(caller);
        await Outbox(recipient).RingStarted(sentinel);
        var all = await Receiver.WaitForAsync(recipient, r => r.Any(a => RingIdOf(a) == sentinel.RingId && a.Answered == 200), "a later notification to be taken");
        Assert.Single(all, a => RingIdOf(a) == sentinel.RingId);
        return all.Where(a => RingIdOf(a) != sentinel.RingId).ToArray();
    }

    private const string OutboxState = "push";

    private Task<IReadOnlyList<PushOutboxState>> StoredAsync(string recipient, Func<IReadOnlyList<PushOutboxState>, bool> done, string what) =>
        fx.Faults.WaitForStoredAsync(OutboxState, recipient, done, what);

    /// <summary>
    /// Whether the outbox dropped a ring before trying it: it stored the ring's stop as that of a ring not seen
    /// yet, or it stored the ring waiting and later without it (nothing else takes out a ring never tried while
    /// an earlier one holds the outbox).
    /// </summary>
    private static bool DroppedUnsent(IReadOnlyList<PushOutboxState> writes, string ringId)
    {
        if (writes.Any(w => w.StoppedUnseen.Contains(ringId)))
        {
            return true;
        }

        var queued = writes.ToList().FindIndex(w => w.Pending.Exists(p => p.RingId == ringId && p.Attempts == 0));
        return queued >= 0 && writes.Skip(queued + 1).Any(w => !w.Pending.Exists(p => p.RingId == ringId));
    }

    private static string? RingIdOf(ReceivedPush push) => push.Json.GetProperty("ringId").GetString();

    [Fact]
    public void Backoff_doubles_from_the_first_delay_up_to_the_cap_and_honours_a_longer_retry_after()
    {
        var options = new PushOptions { RetryDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(30) };
        foreach (var (attempt, expected) in new[] { (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 30.0), (20, 30.0) })
        {
            var delay = PushBackoff.Delay(options, attempt).TotalSeconds;
            Assert.InRange(delay, expected * 0.8, expected * 1.2);
        }

        Assert.Equal(TimeSpan.FromSeconds(20), PushBackoff.Delay(options, 1, retryAfter: TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(30), PushBackoff.Delay(options, 1, retryAfter: TimeSpan.FromHours(1)));
    }
}
