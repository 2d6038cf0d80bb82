namespace DmVoice.Soak.Running;

/// <summary>
/// The cluster's timings for the soak: the product's own mechanisms (leases, graces, ring timeouts,
/// member checks) shortened so that a fault's consequences play out within seconds, not minutes.
/// </summary>
public sealed record SoakTimings
{
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan DisconnectGrace { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan EmptyCallGrace { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RingTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MemberCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Room for what the product does on a loaded machine after a fault: retried device closes (1 s doubling to 10 s), timers firing late.</summary>
    public TimeSpan Margin { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long after its last device went a user may still be a participant.</summary>
    public TimeSpan PresenceWindow => DisconnectGrace + LeaseTimeout + Margin;

    /// <summary>
    /// How long after sending a room repeats each member's latest event with stream delivery (the product's
    /// fixed 5 s): a device left behind by a lost event catches up within it.
    /// </summary>
    public TimeSpan EventRepeatDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the load and the faults stop: long enough for every grace, ring and member check to have run,
    /// and for the repeat of the events they caused to arrive.
    /// </summary>
    public TimeSpan Settle => LeaseTimeout + DisconnectGrace + RingTimeout + MemberCheckInterval + EventRepeatDelay + TimeSpan.FromSeconds(5);

    public void ApplyTo(IDictionary<string, string?> settings)
    {
        settings["Gateway:LeaseTimeout"] = LeaseTimeout.ToString("c");
        settings["Gateway:LeaseRenewInterval"] = LeaseRenewInterval.ToString("c");
        settings["Calls:DisconnectGrace"] = DisconnectGrace.ToString("c");
        settings["Calls:EmptyCallGrace"] = EmptyCallGrace.ToString("c");
        settings["Calls:RingTimeout"] = RingTimeout.ToString("c");
        settings["Calls:MemberCheckInterval"] = MemberCheckInterval.ToString("c");
        // Deferred writes happen often, so the faults meet them: the user grains' and the DM lists' order.
        settings["Calls:DeferredWriteDelay"] = "00:00:01";
        settings["Calls:DirectoryOrderWriteDelay"] = "00:00:02";

        // The soak measures faults, not limits: budgets far above what its users spend.
        settings["Gateway:RequestsPerMinute"] = "1000000";
        settings["Calls:DmsCreatedPerMinute"] = "1000";
        settings["Calls:RingsPerMinute"] = "100";
        settings["Calls:RingsPerCallerPerMinute"] = "1000";
        settings["Calls:RingsPerCallerPerHour"] = "10000";
    }
}
