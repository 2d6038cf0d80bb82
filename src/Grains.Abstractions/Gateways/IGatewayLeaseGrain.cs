namespace DmVoice.Abstractions;

/// <summary>
/// A gateway's lease on the cluster (key: the gateway's instance id). The gateway renews it; the
/// user grains of users with a device on that gateway are tracked here. When the gateway stops
/// renewing (crash, partition, kill) the lease lapses and every tracked user is told that the
/// gateway is gone, so their devices there count as closed: presence never outlives the devices
/// behind it. Calls go one way: user grains await this grain, this grain only sends one-way
/// notices back.
/// </summary>
[Alias("DmVoice.IGatewayLeaseGrain")]
public interface IGatewayLeaseGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes or renews the lease for <paramref name="duration"/>. <see cref="LeaseRenewal.Lapsed"/>
    /// means the gateway's earlier lease ran out, or the cluster no longer knows it (its state was
    /// lost): its devices were dropped, and the gateway must close its connections so their clients
    /// reconnect and re-sync.
    /// </summary>
    /// <param name="continuing">True when the gateway held this lease before (every renewal after its first).</param>
    [Alias("Renew")]
    Task<LeaseRenewal> Renew(TimeSpan duration, bool continuing);

    /// <summary>A user now has a device on this gateway. A user tracked on a lapsed lease is told at once.</summary>
    [Alias("Track")]
    Task Track(string userId);

    /// <summary>The user's last device on this gateway closed.</summary>
    [Alias("Untrack")]
    Task Untrack(string userId);

    /// <summary>
    /// Whether the lease is held and still tracks the user (a device of theirs may be on the gateway).
    /// False after it lapsed or was released, whether or not the user heard. Read-only.
    /// </summary>
    [AlwaysInterleave]
    [Alias("Tracks")]
    Task<bool> Tracks(string userId);

    /// <summary>The gateway is shutting down: the lease ends now, as if it had lapsed.</summary>
    [Alias("Release")]
    Task Release();

    /// <summary>Lets the lease lapse when due. Called by the grain's own timer and reminder.</summary>
    [Alias("ProcessDeadlines")]
    Task ProcessDeadlines();
}

/// <summary>The answer to <see cref="IGatewayLeaseGrain.Renew"/>.</summary>
[GenerateSerializer]
[Alias("DmVoice.LeaseRenewal")]
public enum LeaseRenewal
{
    /// <summary>The lease is held (new, or renewed in time).</summary>
    Held,

    /// <summary>The previous lease ran out before this renewal; a new one is held from now on.</summary>
    Lapsed,
}
