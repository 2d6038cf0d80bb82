using System.Collections.Concurrent;
using DmVoice.Soak.Checking;

namespace DmVoice.Soak.Running;

/// <summary>A fault as it was carried out.</summary>
public sealed record FaultRecord(DateTimeOffset At, string Kind, string Target, double Seconds, string? Error);

/// <summary>
/// Everything the run records, from many threads: every answer, every event every device received,
/// every fault, the call ids seen, the devices' connections. The checker reads it at the end.
/// </summary>
public sealed class Journal
{
    private readonly ConcurrentQueue<OperationRecord> _operations = new();
    private readonly ConcurrentQueue<ObservedEvent> _events = new();
    private readonly ConcurrentQueue<VersionRegression> _regressions = new();
    private readonly ConcurrentQueue<FaultRecord> _faults = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _callIds = new();
    private readonly ConcurrentDictionary<(string RoomId, string UserId), byte> _uncertain = new();
    private readonly ConcurrentDictionary<string, DeviceLiveness> _devices = new();

    public IReadOnlyList<OperationRecord> Operations => [.. _operations];

    public IReadOnlyList<ObservedEvent> Events => [.. _events];

    public IReadOnlyList<VersionRegression> Regressions => [.. _regressions];

    public IReadOnlyList<FaultRecord> Faults => [.. _faults];

    public int OperationCount => _operations.Count;

    public int EventCount => _events.Count;

    public int FaultCount => _faults.Count;

    public void Add(OperationRecord operation) => _operations.Enqueue(operation);

    public void Add(ObservedEvent received) => _events.Enqueue(received);

    public void Add(VersionRegression regression) => _regressions.Enqueue(regression);

    public void Add(FaultRecord fault) => _faults.Enqueue(fault);

    public void SawCall(string dmGroupId, string? callId)
    {
        if (!string.IsNullOrEmpty(callId))
        {
            _callIds.GetOrAdd(dmGroupId, _ => new()).TryAdd(callId, 0);
        }
    }

    public IReadOnlyDictionary<string, IReadOnlySet<string>> CallIdsSeen =>
        _callIds.ToDictionary(c => c.Key, c => (IReadOnlySet<string>)c.Value.Keys.ToHashSet());

    /// <summary>A membership change of <paramref name="userId"/> in a room got no clear answer: it may or may not have happened.</summary>
    public void MembershipUncertain(string roomId, string userId) => _uncertain.TryAdd((roomId, userId), 0);

    public IReadOnlySet<(string RoomId, string UserId)> UncertainMemberships => _uncertain.Keys.ToHashSet();

    /// <summary>A join named the device: from now on it matters whether it is connected.</summary>
    public void DeviceNamed(string deviceId, string userId) =>
        _devices.TryAdd(deviceId, new DeviceLiveness(deviceId, userId, false, DateTimeOffset.UtcNow));

    public void DeviceConnected(string deviceId, string userId) =>
        _devices[deviceId] = new DeviceLiveness(deviceId, userId, true, null);

    public void DeviceDisconnected(string deviceId, string userId) =>
        _devices.AddOrUpdate(
            deviceId,
            _ => new DeviceLiveness(deviceId, userId, false, DateTimeOffset.UtcNow),
            (_, known) => known.Connected ? new DeviceLiveness(deviceId, userId, false, DateTimeOffset.UtcNow) : known);

    public IReadOnlyList<DeviceLiveness> Devices => [.. _devices.Values];
}
