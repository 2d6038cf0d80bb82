using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>A user's devices, their routes and the disconnect grace of their seat, case by case.</summary>
public sealed class UserDevicesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly GatewayRoute _east = Gateway("east");
    private readonly GatewayRoute _west = Gateway("west");
    private readonly UserVoiceState _state = new();
    private readonly UserDevices _devices;

    public UserDevicesTests() => _devices = new UserDevices(_state);

    private static GatewayRoute Gateway(string id) => new(id, new Observer());

    private void Seat(string? deviceId = null)
    {
        _state.Active = CallContext.Dm("dm-1");
        _state.ActiveDevice = deviceId;
    }

    [Fact]
    public void A_first_connection_on_a_gateway_adds_its_route_and_a_second_one_there_does_not()
    {
        Assert.True(_devices.IsNewGateway(_east));
        _devices.Open("east:1", _east, "phone");
        Assert.False(_devices.IsNewGateway(_east));
        _devices.Open("east:2", _east, "desktop");

        Assert.Equal(["east"], _devices.Routes.Select(r => r.GatewayId));
        Assert.True(_devices.AnyConnected);
    }

    [Fact]
    public void A_gateway_that_came_back_with_a_new_observer_counts_as_new()
    {
        _devices.Open("east:1", _east, null);
        Assert.True(_devices.IsNewGateway(Gateway("east")));
    }

    [Fact]
    public void Closing_the_last_connection_on_a_gateway_forgets_the_gateway_and_says_its_lease_may_stop_tracking()
    {
        _devices.Open("east:1", _east, null);
        _devices.Open("east:2", _east, null);
        _devices.Open("west:1", _west, null);

        var first = _devices.Forget(["east:1"]);
        Assert.Empty(first.EmptiedGateways);
        Assert.False(first.RoutesChanged);

        var last = _devices.Forget(["east:2"]);
        Assert.Equal(["east"], last.EmptiedGateways);
        Assert.True(last.RoutesChanged);
        Assert.Equal(["west"], _devices.Routes.Select(r => r.GatewayId));
    }

    [Fact]
    public void Forgetting_a_connection_that_is_not_open_changes_nothing()
    {
        _devices.Open("east:1", _east, null);
        var forgotten = _devices.Forget(["east:9"]);
        Assert.Empty(forgotten.EmptiedGateways);
        Assert.False(forgotten.RoutesChanged);
        Assert.True(_devices.IsOpen("east:1"));
    }

    [Fact]
    public void A_lost_gateway_goes_with_every_device_on_it_and_its_lease_is_not_asked_to_untrack()
    {
        _devices.Open("east:1", _east, "phone");
        _devices.Open("east:2", _east, "desktop");
        _devices.Open("west:1", _west, "tablet");

        var forgotten = _devices.Forget([], lostGateway: "east");

        Assert.Empty(forgotten.EmptiedGateways);
        Assert.True(forgotten.RoutesChanged);
        Assert.Equal(["west:1"], _state.Devices.Keys);
        Assert.Equal(["tablet"], _state.DeviceIds.Values);
    }

    [Fact]
    public void Only_the_connections_a_gateway_does_not_hold_are_not_held()
    {
        _devices.Open("east:1", _east, null);
        _devices.Open("east:2", _east, null);
        _devices.Open("west:1", _west, null);

        Assert.Equal(["east:2"], _devices.NotHeld("east", new HashSet<string> { "east:1" }));
        Assert.Empty(_devices.NotHeld("west", new HashSet<string> { "west:1", "west:7" }));
    }

    [Fact]
    public void Without_a_seat_there_is_no_grace()
    {
        Assert.Null(_devices.RefreshGrace(T0, Grace));
    }

    [Fact]
    public void A_seat_that_named_no_device_is_kept_by_any_device_and_its_grace_starts_when_the_last_goes()
    {
        Seat();
        _devices.Open("east:1", _east, "phone");
        Assert.Null(_devices.RefreshGrace(T0, Grace));

        _devices.Forget(["east:1"]);
        Assert.Equal(T0 + Grace, _devices.RefreshGrace(T0, Grace));
    }

    [Fact]
    public void A_seat_held_by_a_named_device_starts_its_grace_when_that_device_goes_even_with_others_connected()
    {
        Seat("desktop");
        _devices.Open("east:1", _east, "desktop");
        _devices.Open("west:1", _west, "phone");
        Assert.Null(_devices.RefreshGrace(T0, Grace));

        _devices.Forget(["east:1"]);
        Assert.Equal(T0 + Grace, _devices.RefreshGrace(T0, Grace));
        Assert.True(_devices.AnyConnected);
    }

    [Fact]
    public void A_grace_already_running_keeps_its_deadline_and_ends_when_the_seat_s_device_is_back()
    {
        Seat("desktop");
        Assert.Equal(T0 + Grace, _devices.RefreshGrace(T0, Grace));
        Assert.Equal(T0 + Grace, _devices.RefreshGrace(T0 + TimeSpan.FromSeconds(10), Grace));

        _devices.Open("east:1", _east, "desktop");
        Assert.Null(_devices.RefreshGrace(T0 + TimeSpan.FromSeconds(20), Grace));
        Assert.Null(_state.DisconnectDeadline);
    }

    /// <summary>A gateway's observer as the rules see one: an identity, never called.</summary>
    private sealed class Observer : IGatewayObserver
    {
        public Task Deliver(EventDelivery delivery) => throw new NotSupportedException();

        public Task<string[]> HeldConnections(string userId) => throw new NotSupportedException();
    }
}
