using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Gateways;

[GenerateSerializer]
[Alias("DmVoice.GatewayLeaseState")]
public sealed class GatewayLeaseState
{
    /// <summary>How long one renewal holds the lease, as the gateway asked.</summary>
    [Id(0)] public TimeSpan Duration { get; set; }

    /// <summary>Users with at least one device on the gateway.</summary>
    [Id(1)] public HashSet<string> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The lease ran out (or was released) and its users were told; the next renewal starts a new one.</summary>
    [Id(2)] public bool Lapsed { get; set; }

    [Id(3)] public bool ReminderRegistered { get; set; }

    /// <summary>A lease was taken; a "continuing" renewal of a lease never taken means the cluster forgot it.</summary>
    [Id(4)] public bool Taken { get; set; }
}

/// <summary>
/// One gateway's lease. Renewals only move the expiry in memory (O(gateways) messages, no writes);
/// the tracked users are stored, so a lease whose silo died still lapses after reactivation, with a
/// reminder to wake it in durable mode. Real time, not <see cref="CallClock"/>: a lease measures
/// whether a process is alive.
/// </summary>
public sealed partial class GatewayLeaseGrain : Grain, IGatewayLeaseGrain, IRemindable
{
    private const string LapseReminder = "lease-lapse";
    private static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(10);

    private readonly IPersistentState<GatewayLeaseState> _state;
    private readonly TimeProvider _time;
    private readonly CallOptions _options;
    private readonly PresenceMetrics _metrics;
    private readonly ILogger<GatewayLeaseGrain> _logger;
    private DeadlineTimer? _timer;
    private DateTimeOffset? _expiresAt;

    public GatewayLeaseGrain(
        [PersistentState("lease", StorageNames.Default)] IPersistentState<GatewayLeaseState> state,
        TimeProvider time,
        IOptions<CallOptions> options,
        PresenceMetrics metrics,
        ILogger<GatewayLeaseGrain> logger)
    {
        _state = state;
        _time = time;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    private string GatewayId => this.GetPrimaryKeyString();

    private GatewayLeaseState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var self = this.AsReference<IGatewayLeaseGrain>();
        _timer = new DeadlineTimer(_time, () => self.ProcessDeadlines());
        if (State.Users.Count > 0 && !State.Lapsed)
        {
            // Reactivated with users (the silo that held this lease went away): the gateway gets one
            // more full term to renew; a dead gateway lapses after it.
            Extend(State.Duration);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<LeaseRenewal> Renew(TimeSpan duration, bool continuing)
    {
        if (duration < MinDuration || duration > MaxDuration)
        {
            throw DmVoiceException.Validation($"A gateway lease lasts {MinDuration.TotalSeconds:0} s to {MaxDuration.TotalMinutes:0} min.");
        }

        // A gateway that held this lease before, renewing a lease the cluster has no record of: the
        // state was lost (in-memory storage, a restarted cluster), and with it the gateway's devices.
        var lapsed = State.Lapsed || (continuing && !State.Taken);
        Extend(duration);
        if (lapsed || !State.Taken || State.Duration != duration)
        {
            State.Lapsed = false;
            State.Taken = true;
            State.Duration = duration;
            await _state.WriteOrDropAsync(this);
        }

        if (lapsed)
        {
            LogRenewedAfterLapse(GatewayId);
        }

        return lapsed ? LeaseRenewal.Lapsed : LeaseRenewal.Held;
    }

    public async Task Track(string userId)
    {
        Validate.Id(userId, "userId");
        if (State.Lapsed)
        {
            // A device registered on a gateway whose lease already ran out: it is as good as closed.
            GrainFactory.GetGrain<IUserVoiceGrain>(userId).GatewayLost(GatewayId).Ignore();
            return;
        }

        if (_expiresAt is null)
        {
            // Tracked before any renewal reached this activation: lapse unless one comes in time.
            Extend(State.Duration > TimeSpan.Zero ? State.Duration : MaxDuration);
        }

        if (State.Users.Add(userId))
        {
            await UpdateReminderAsync(needed: true);
            await _state.WriteOrDropAsync(this);
        }
    }

    public async Task Untrack(string userId)
    {
        if (State.Users.Remove(userId))
        {
            await UpdateReminderAsync(needed: State.Users.Count > 0);
            await _state.WriteOrDropAsync(this);
        }
    }

    public Task<bool> Tracks(string userId) => Task.FromResult(!State.Lapsed && State.Users.Contains(userId));

    public Task Release() => LapseAsync(released: true);

    public async Task ProcessDeadlines()
    {
        if (State.Lapsed || _expiresAt is not { } expiresAt)
        {
            return;
        }

        if (expiresAt > _time.GetUtcNow())
        {
            _timer?.Schedule(expiresAt);
            return;
        }

        await LapseAsync(released: false);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == LapseReminder ? ProcessDeadlines() : Task.CompletedTask;

    private void Extend(TimeSpan duration)
    {
        _expiresAt = _time.GetUtcNow() + duration;
        _timer?.Schedule(_expiresAt);
    }

    /// <summary>Ends the lease: stored first, then every tracked user is told (telling twice is harmless).</summary>
    private async Task LapseAsync(bool released)
    {
        var users = State.Users.ToArray();
        State.Users.Clear();
        State.Lapsed = true;
        await UpdateReminderAsync(needed: false);
        await _state.WriteOrDropAsync(this);
        _expiresAt = null;
        _timer?.Schedule(null);
        _metrics.LeaseEnded(released);
        if (released)
        {
            LogReleased(GatewayId, users.Length);
        }
        else
        {
            LogLapsed(GatewayId, users.Length);
        }

        foreach (var userId in users)
        {
            GrainFactory.GetGrain<IUserVoiceGrain>(userId).GatewayLost(GatewayId).Ignore();
        }
    }

    /// <summary>
    /// Registers or removes the lapse reminder before the write of a change already made in memory; should
    /// that fail, the activation is dropped with the change, as after a failed write.
    /// </summary>
    private async Task UpdateReminderAsync(bool needed)
    {
        if (!_options.DurableDeadlines || needed == State.ReminderRegistered)
        {
            return;
        }

        await this.OrDropAsync(async () =>
        {
            if (needed)
            {
                await this.RegisterOrUpdateReminder(LapseReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            }
            else if (await this.GetReminder(LapseReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        });

        State.ReminderRegistered = needed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId} stopped renewing its lease; its devices are gone ({UserCount} users told)")]
    private partial void LogLapsed(string gatewayId, int userCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {GatewayId} released its lease ({UserCount} users told)")]
    private partial void LogReleased(string gatewayId, int userCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId} renewed a lease that had lapsed; it must drop its connections")]
    private partial void LogRenewedAfterLapse(string gatewayId);
}
