namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// The silo's reminder table with planned failures in front of it: while <see cref="ReminderFaults.FailRegistrations"/>
/// is set, registering a reminder fails the way it does when the silo that owns the reminder has just died.
/// </summary>
public sealed class FaultInjectingReminderTable(IReminderTable inner, ReminderFaults faults) : IReminderTable
{
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => inner.ReadRows(grainId);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => inner.ReadRows(begin, end);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => inner.ReadRow(grainId, reminderName);

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        if (faults.FailRegistrations)
        {
            faults.Refused();
            throw new TimeoutException("Planned: the reminder's silo does not answer.");
        }

        return inner.UpsertRow(entry);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => inner.RemoveRow(grainId, reminderName, eTag);

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();
}

/// <summary>Planned reminder failures, shared by the test and the silos of one cluster.</summary>
public sealed class ReminderFaults
{
    private volatile bool _failRegistrations;
    private int _refused;

    public bool FailRegistrations
    {
        get => _failRegistrations;
        set => _failRegistrations = value;
    }

    /// <summary>Registrations refused so far.</summary>
    public int RefusedCount => Volatile.Read(ref _refused);

    internal void Refused() => Interlocked.Increment(ref _refused);
}
