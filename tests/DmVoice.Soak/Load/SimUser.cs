using DmVoice.Soak.Clients;
using DmVoice.Soak.Running;

namespace DmVoice.Soak.Load;

/// <summary>A simulated user: a REST client, up to three devices (desktop, mobile, web), and where they believe they sit.</summary>
public sealed class SimUser : IAsyncDisposable
{
    public static readonly string[] DeviceKinds = ["desktop", "mobile", "web"];

    private readonly Uri _balancer;
    private readonly Journal _journal;
    private readonly SimDevice?[] _devices = new SimDevice?[DeviceKinds.Length];
    private readonly object _lock = new();

    public SimUser(SoakApi api, Uri balancer, Journal journal)
    {
        Api = api;
        _balancer = balancer;
        _journal = journal;
    }

    public SoakApi Api { get; }

    public string UserId => Api.UserId;

    /// <summary>The room the last successful join put the user in (null after a leave).</summary>
    public KnownRoom? CurrentRoom { get; set; }

    /// <summary>The device the last successful join named.</summary>
    public string? SeatDevice { get; set; }

    public string DeviceId(int slot) => $"{UserId}.{DeviceKinds[slot]}";

    public IReadOnlyList<SimDevice> Devices
    {
        get
        {
            lock (_lock)
            {
                return _devices.OfType<SimDevice>().ToList();
            }
        }
    }

    public bool IsConnected(int slot)
    {
        lock (_lock)
        {
            return _devices[slot] is not null;
        }
    }

    /// <summary>Connects the device in <paramref name="slot"/> unless it is already; false when the cluster turned it away.</summary>
    public async Task<bool> ConnectAsync(int slot)
    {
        if (IsConnected(slot))
        {
            return true;
        }

        var device = new SimDevice(Api, DeviceId(slot), DeviceKinds[slot], _balancer, _journal);
        if (!await device.ConnectAsync())
        {
            await device.DisposeAsync();
            return false;
        }

        lock (_lock)
        {
            _devices[slot] = device;
        }

        return true;
    }

    /// <summary>The device goes away (the app is closed).</summary>
    public async Task DropAsync(int slot)
    {
        SimDevice? device;
        lock (_lock)
        {
            device = _devices[slot];
            _devices[slot] = null;
        }

        if (device is not null)
        {
            await device.DisposeAsync();
        }
    }

    public IReadOnlyList<string> RoomsRingingMe() => Devices.SelectMany(d => d.RoomsRingingMe()).Distinct().Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        for (var slot = 0; slot < _devices.Length; slot++)
        {
            await DropAsync(slot);
        }

        Api.Dispose();
    }
}
