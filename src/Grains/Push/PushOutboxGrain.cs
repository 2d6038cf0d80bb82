using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Push;

[GenerateSerializer]
[Alias("DmVoice.PushOutboxState")]
public sealed class PushOutboxState
{
    /// <summary>Notifications the push service has not taken yet, in the order they were handed over.</summary>
    [Id(0)] public List<PendingPush> Pending { get; set; } = [];

    /// <summary>Ids of the last notifications delivered, so a repeated hand-over is not sent again.</summary>
    [Id(1)] public List<string> Delivered { get; set; } = [];

    [Id(2)] public bool ReminderRegistered { get; set; }

    /// <summary>
    /// Rings whose "stopped" came before their "started" was ever seen (one-way messages may arrive out of
    /// order): a "started" that turns up later is not sent.
    /// </summary>
    [Id(3)] public List<string> StoppedUnseen { get; set; } = [];
}

[GenerateSerializer]
[Alias("DmVoice.PendingPush")]
public sealed class PendingPush
{
    /// <summary>The notification's id, and its Idempotency-Key on every attempt.</summary>
    [Id(0)] public required string Id { get; set; }
    [Id(1)] public required string Type { get; set; }
    [Id(2)] public required string RingId { get; set; }

    /// <summary>The exact JSON sent on every attempt.</summary>
    [Id(3)] public required string Body { get; set; }

    /// <summary>For a "ring started": when the ring ends (call time). Not worth sending after that.</summary>
    [Id(4)] public DateTimeOffset? RingExpiresAt { get; set; }

    /// <summary>Real time after which it is given up.</summary>
    [Id(5)] public DateTimeOffset GiveUpAt { get; set; }
    [Id(6)] public int Attempts { get; set; }
    [Id(7)] public DateTimeOffset NextAttemptAt { get; set; }
}

/// <summary>
/// One user's push outbox. Notifications are written to state before anything is sent, and leave it only
/// once the push service answered 2xx, refused them for good (4xx), or they are too old to matter: delivery
/// is at least once, with the notification's id as the idempotency key. Sending happens in this grain's own
/// turns (never in a caller's: callers hand over one-way), one notification at a time in order; a failed
/// attempt holds back the ones behind it until its retry, with exponential backoff. A timer runs the retries;
/// with durable storage a reminder also wakes the outbox after a silo restart.
/// </summary>
public sealed partial class PushOutboxGrain : Grain, IPushOutboxGrain, IRemindable
{
    private const string Reminder = "push-outbox";
    private const int DeliveredMemory = 100;

    private readonly IPersistentState<PushOutboxState> _state;
    private readonly CallClock _clock;
    private readonly TimeProvider _time;
    private readonly PushOptions _options;
    private readonly bool _durable;
    private readonly PushMetrics _metrics;
    private readonly ILogger<PushOutboxGrain> _logger;
    private readonly PushSender? _sender;
    private DeadlineTimer? _timer;

    public PushOutboxGrain(
        [PersistentState("push", StorageNames.Default)] IPersistentState<PushOutboxState> state,
        CallClock clock,
        TimeProvider time,
        IOptions<PushOptions> options,
        IOptions<CallOptions> callOptions,
        PushMetrics metrics,
        IServiceProvider services,
        ILogger<PushOutboxGrain> logger)
    {
        _state = state;
        _clock = clock;
        _time = time;
        _options = options.Value;
        _durable = callOptions.Value.DurableDeadlines;
        _metrics = metrics;
        _logger = logger;
        _sender = services.GetService<PushSender>();
    }

    private string RecipientId => this.GetPrimaryKeyString();

    private PushOutboxState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IPushOutboxGrain>();
        _timer = new DeadlineTimer(_time, () => self.DeliverDue());
        _timer.Schedule(NextAttempt());
        ReportPending();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _metrics.Pending(RecipientId, 0, 0);
        return Task.CompletedTask;
    }

    private void ReportPending()
    {
        var retrying = State.Pending.Count(p => p.Attempts > 0);
        _metrics.Pending(RecipientId, State.Pending.Count - retrying, retrying);
    }

    public async Task RingStarted(RingStartedPush push)
    {
        ArgumentNullException.ThrowIfNull(push);
        var id = PushPayloads.IdOf(PushTypes.RingStarted, push.RingId);
        if (push.ExpiresAt <= _clock.UtcNow || IsKnown(id) || State.StoppedUnseen.Contains(push.RingId))
        {
            return;
        }

        await EnqueueAsync(id, PushTypes.RingStarted, push.RingId, PushPayloads.RingStarted(RecipientId, push, _clock.UtcNow), push.ExpiresAt);
    }

    public async Task RingStopped(RingStoppedPush push)
    {
        ArgumentNullException.ThrowIfNull(push);
        var id = PushPayloads.IdOf(PushTypes.RingStopped, push.RingId);
        if (IsKnown(id))
        {
            return;
        }

        var started = State.Pending.Find(p => p.Type == PushTypes.RingStarted && p.RingId == push.RingId);
        if (started is { Attempts: 0 })
        {
            // The phone was never told to ring: telling it nothing at all is right.
            State.Pending.Remove(started);
            _metrics.Record(started.Type, "skipped");
            await DeliverAsync(changed: true);
            return;
        }

        if (started is null && !State.Delivered.Contains(PushPayloads.IdOf(PushTypes.RingStarted, push.RingId)))
        {
            // Its "started" has not arrived (yet): nothing rang, so nothing to stop, and a late "started" is dropped.
            State.StoppedUnseen.Add(push.RingId);
            if (State.StoppedUnseen.Count > DeliveredMemory)
            {
                State.StoppedUnseen.RemoveAt(0);
            }

            _metrics.Record(PushTypes.RingStopped, "skipped");
            await DeliverAsync(changed: true);
            return;
        }

        await EnqueueAsync(id, PushTypes.RingStopped, push.RingId, PushPayloads.RingStopped(RecipientId, push, _clock.UtcNow), ringExpiresAt: null);
    }

    public Task DeliverDue() => DeliverAsync(changed: false);

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == Reminder ? DeliverDue() : Task.CompletedTask;

    private bool IsKnown(string id) => State.Delivered.Contains(id) || State.Pending.Exists(p => p.Id == id);

    /// <summary>Stores a new notification behind the others, then sends what is due.</summary>
    private async Task EnqueueAsync(string id, string type, string ringId, string body, DateTimeOffset? ringExpiresAt)
    {
        var now = _time.GetUtcNow();
        State.Pending.Add(new PendingPush
        {
            Id = id,
            Type = type,
            RingId = ringId,
            Body = body,
            RingExpiresAt = ringExpiresAt,
            GiveUpAt = now + _options.MaxAge,
            NextAttemptAt = now,
        });
        while (State.Pending.Count > _options.OutboxLimit)
        {
            var dropped = State.Pending[0];
            State.Pending.RemoveAt(0);
            _metrics.Record(dropped.Type, "dropped");
            LogDropped(RecipientId, dropped.Id, _options.OutboxLimit);
        }

        await DeliverAsync(changed: true);
    }

    /// <summary>
    /// Sends what is due, in order, and stops at the first notification that must wait (a retry not yet due).
    /// Everything changed is written before the turn ends; an attempt that is lost with its silo is repeated.
    /// </summary>
    private async Task DeliverAsync(bool changed)
    {
        if (changed)
        {
            // Durable before the first attempt: a crash during it leaves the notification to the next activation.
            await SaveAsync();
            changed = false;
        }

        while (State.Pending.Count > 0)
        {
            var push = State.Pending[0];
            var now = _time.GetUtcNow();
            if (now >= push.GiveUpAt || push.RingExpiresAt <= _clock.UtcNow)
            {
                State.Pending.RemoveAt(0);
                changed = true;
                _metrics.Record(push.Type, "expired");
                LogExpired(RecipientId, push.Id, push.Attempts);
                continue;
            }

            if (push.NextAttemptAt > now)
            {
                break;
            }

            if (_sender is null)
            {
                // Push was switched off while this waited: nothing can take it.
                State.Pending.RemoveAt(0);
                changed = true;
                _metrics.Record(push.Type, "dropped");
                continue;
            }

            push.Attempts++;
            changed = true;
            var attempt = await _sender.SendAsync(push.Id, push.Body, push.Attempts, CancellationToken.None);
            if (attempt.Result == PushAttemptResult.Delivered)
            {
                State.Pending.Remove(push);
                State.Delivered.Add(push.Id);
                if (State.Delivered.Count > DeliveredMemory)
                {
                    State.Delivered.RemoveAt(0);
                }

                _metrics.Record(push.Type, "delivered");
                continue;
            }

            if (attempt.Result == PushAttemptResult.Rejected)
            {
                State.Pending.Remove(push);
                _metrics.Record(push.Type, "rejected");
                LogRejected(RecipientId, push.Id, attempt.Detail);
                continue;
            }

            if (push.Attempts >= _options.MaxAttempts)
            {
                State.Pending.Remove(push);
                _metrics.Record(push.Type, "gave_up");
                LogGaveUp(RecipientId, push.Id, push.Attempts, attempt.Detail);
                continue;
            }

            push.NextAttemptAt = _time.GetUtcNow() + PushBackoff.Delay(_options, push.Attempts, attempt.RetryAfter);
            _metrics.Record(push.Type, "retried");
            LogRetrying(RecipientId, push.Id, push.Attempts, attempt.Detail, push.NextAttemptAt);
            break;
        }

        if (changed)
        {
            await SaveAsync();
        }

        _timer?.Schedule(NextAttempt());
    }

    private DateTimeOffset? NextAttempt() => State.Pending.Count == 0 ? null : State.Pending[0].NextAttemptAt;

    private async Task SaveAsync()
    {
        var needed = _durable && State.Pending.Count > 0;
        if (needed != State.ReminderRegistered)
        {
            if (needed)
            {
                // Reminders fire at most once a minute; they only wake the outbox after a restart, the timer does the timing.
                await this.RegisterOrUpdateReminder(Reminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            }
            else if (await this.GetReminder(Reminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            State.ReminderRegistered = needed;
        }

        await _state.WriteStateAsync();
        ReportPending();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Push for {UserId}: {PushId} failed (attempt {Attempt}: {Detail}); next attempt at {NextAttemptAt:O}")]
    private partial void LogRetrying(string userId, string pushId, int attempt, string detail, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push for {UserId}: {PushId} refused by the push service ({Detail}); given up")]
    private partial void LogRejected(string userId, string pushId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push for {UserId}: {PushId} given up after {Attempts} attempts ({Detail})")]
    private partial void LogGaveUp(string userId, string pushId, int attempts, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push for {UserId}: {PushId} no longer matters after {Attempts} attempt(s); dropped")]
    private partial void LogExpired(string userId, string pushId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push for {UserId}: outbox over {Limit} notifications; dropped the oldest, {PushId}")]
    private partial void LogDropped(string userId, string pushId, int limit);
}

/// <summary>Exponential backoff with jitter, capped, and no sooner than the push service's Retry-After.</summary>
public static class PushBackoff
{
    public static TimeSpan Delay(PushOptions options, int failedAttempts, TimeSpan? retryAfter = null)
    {
        var ticks = new Backoff(options.RetryDelay, options.RetryMaxDelay).After(failedAttempts).Ticks;

        // ±20 %, so outboxes that failed together do not all come back in the same instant.
        var delay = TimeSpan.FromTicks((long)(ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
        if (retryAfter is { } wait && wait > delay)
        {
            delay = wait < options.RetryMaxDelay ? wait : options.RetryMaxDelay;
        }

        return delay;
    }
}
