using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Hosting;

/// <summary>Call behaviour, bound from the "Calls" configuration section.</summary>
public sealed class CallOptions
{
    public const string SectionName = "Calls";

    /// <summary>How long an empty call waits for a rejoin before it ends (same call id on rejoin).</summary>
    public TimeSpan EmptyCallGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a recipient rings before the ring counts as missed.</summary>
    public TimeSpan RingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Re-rings a user may send per DM per minute.</summary>
    public int RingsPerMinute { get; set; } = 5;

    /// <summary>Rings one caller may cause one recipient per minute (answered by the recipient's ring eligibility).</summary>
    public int RingsPerCallerPerMinute { get; set; } = 5;

    /// <summary>Rings one caller may cause one recipient per hour.</summary>
    public int RingsPerCallerPerHour { get; set; } = 30;

    /// <summary>Finished calls kept per DM (older ones are dropped).</summary>
    public int HistoryLimit { get; set; } = 200;

    /// <summary>Missed calls kept per user.</summary>
    public int MissedCallLimit { get; set; } = 200;

    /// <summary>New DMs (1:1 and group) one user may create per minute; beyond it 429 <c>rate_limited</c>.</summary>
    public int DmsCreatedPerMinute { get; set; } = 10;

    /// <summary>
    /// Group DMs one user may ever create (leaving one does not give it back: the group and its other members
    /// stay); beyond it 409 <c>limit_reached</c>. With <see cref="DmsPerUser"/> this bounds what one account can
    /// make the cluster store, made-up member ids included.
    /// </summary>
    public int GroupDmsCreatedLimit { get; set; } = 1000;

    /// <summary>DMs one user's list may hold when they create another; beyond it 409 <c>limit_reached</c> (leave some first).</summary>
    public int DmsPerUser { get; set; } = 1000;

    /// <summary>How long a user stays in a call after their last device disconnects.</summary>
    public TimeSpan DisconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a live call checks its members with their user grains (routes, the live-call index,
    /// participants their user grain places elsewhere). Real time.
    /// </summary>
    public TimeSpan MemberCheckInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a seated user's grain asks the gateways its devices are on which of them they still
    /// hold (it also does at activation), so a device whose close was lost cannot keep its user in a
    /// call for ever. Real time.
    /// </summary>
    public TimeSpan PresenceAuditInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a change that can be rebuilt (a user's index of the live calls they can see, the seat a
    /// leave gave up) waits to be stored with its grain's next write before it is written on its own.
    /// Real time. A silo crash loses at most this much of such changes.
    /// </summary>
    public TimeSpan DeferredWriteDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a DM's new place in a user's list of DMs (its latest activity) waits to be stored with
    /// the list's next write before it is written on its own. The order shows at once from memory and
    /// is written at deactivation too; a silo crash loses at most this much of it, which only shows a DM
    /// at its previous place until its next activity. Real time; far longer than
    /// <see cref="DeferredWriteDelay"/>, since every call start moves a DM in each member's list.
    /// </summary>
    public TimeSpan DirectoryOrderWriteDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether deadlines are also backed by Orleans reminders, so a silo restart cannot lose them.
    /// On by default with durable storage; pointless (and a cost on every call) with in-memory storage.
    /// </summary>
    public bool DurableDeadlines { get; set; }
}

/// <summary>Refuses to start with call settings outside their documented ranges.</summary>
public sealed class CallOptionsValidator : IValidateOptions<CallOptions>
{
    public ValidateOptionsResult Validate(string? name, CallOptions options)
    {
        var failures = new List<string>();
        Check(options.RingTimeout >= TimeSpan.FromSeconds(5) && options.RingTimeout <= TimeSpan.FromSeconds(120), "Calls:RingTimeout must be 5-120 seconds.");
        Check(options.EmptyCallGrace >= TimeSpan.Zero && options.EmptyCallGrace <= TimeSpan.FromMinutes(10), "Calls:EmptyCallGrace must be 0-600 seconds.");
        Check(options.DisconnectGrace >= TimeSpan.Zero && options.DisconnectGrace <= TimeSpan.FromMinutes(10), "Calls:DisconnectGrace must be 0-600 seconds.");
        Check(options.RingsPerMinute is >= 1 and <= 100, "Calls:RingsPerMinute must be 1-100.");
        Check(options.MemberCheckInterval >= TimeSpan.FromSeconds(1) && options.MemberCheckInterval <= TimeSpan.FromHours(1), "Calls:MemberCheckInterval must be 1 second to 1 hour.");
        Check(options.PresenceAuditInterval >= TimeSpan.FromSeconds(1) && options.PresenceAuditInterval <= TimeSpan.FromHours(1), "Calls:PresenceAuditInterval must be 1 second to 1 hour.");
        Check(options.DeferredWriteDelay >= TimeSpan.FromMilliseconds(100) && options.DeferredWriteDelay <= TimeSpan.FromMinutes(1), "Calls:DeferredWriteDelay must be 0.1-60 seconds.");
        Check(options.DirectoryOrderWriteDelay >= TimeSpan.FromMilliseconds(100) && options.DirectoryOrderWriteDelay <= TimeSpan.FromHours(1), "Calls:DirectoryOrderWriteDelay must be 0.1 second to 1 hour.");
        // High ceilings are for load tests, whose callers ring the same recipients many times a minute.
        Check(options.RingsPerCallerPerMinute is >= 1 and <= 1000, "Calls:RingsPerCallerPerMinute must be 1-1000.");
        Check(
            options.RingsPerCallerPerHour >= options.RingsPerCallerPerMinute && options.RingsPerCallerPerHour <= 10_000,
            "Calls:RingsPerCallerPerHour must be at least Calls:RingsPerCallerPerMinute and at most 10000.");
        Check(options.HistoryLimit is >= 1 and <= 10_000, "Calls:HistoryLimit must be 1-10000.");
        Check(options.MissedCallLimit is >= 1 and <= 10_000, "Calls:MissedCallLimit must be 1-10000.");
        Check(options.DmsCreatedPerMinute is >= 1 and <= 100_000, "Calls:DmsCreatedPerMinute must be 1-100000.");
        Check(options.GroupDmsCreatedLimit is >= 1 and <= 1_000_000, "Calls:GroupDmsCreatedLimit must be 1-1000000.");
        Check(options.DmsPerUser is >= 1 and <= 100_000, "Calls:DmsPerUser must be 1-100000.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add(message);
            }
        }
    }
}
