using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>What the device audit forgets, from what each gateway and its lease vouch for.</summary>
public sealed class DeviceAuditTests
{
    private readonly UserVoiceState _state = new();
    private readonly UserDevices _devices;

    public DeviceAuditTests()
    {
        _devices = new UserDevices(_state);
        _devices.Open("east:1", new GatewayRoute("east", new Observer()), "phone");
        _devices.Open("east:2", new GatewayRoute("east", new Observer()), "desktop");
        _devices.Open("west:1", new GatewayRoute("west", new Observer()), "web");
    }

    private static GatewayAudit Holds(string gatewayId, params string[] held) => new(gatewayId, LeaseLost: false, new HashSet<string>(held));

    [Theory]
    [InlineData(false, true, true, false)]
    [InlineData(true, true, false, true)]
    [InlineData(true, false, true, true)]
    [InlineData(true, false, false, false)]
    public void An_audit_is_due_at_activation_or_while_seated_and_never_without_a_connected_device(bool anyConnected, bool atActivation, bool seated, bool due) =>
        Assert.Equal(due, DeviceAudit.IsDue(anyConnected, atActivation, seated));

    [Fact]
    public void A_gateway_whose_lease_no_longer_tracks_the_user_is_lost_with_all_its_devices()
    {
        GatewayAudit[] findings = [new("east", LeaseLost: true, Held: null), Holds("west", "west:1")];

        var lost = DeviceAudit.LostGateways(_devices, findings).ToArray();

        Assert.Single(lost);
        Assert.Equal("east", lost[0].GatewayId);
        Assert.Equal(["east:1", "east:2"], lost[0].Devices.Order());
        Assert.Empty(DeviceAudit.Closed(_devices, findings));
    }

    [Fact]
    public void A_connection_its_gateway_does_not_hold_is_forgotten_as_if_its_close_had_arrived()
    {
        GatewayAudit[] findings = [Holds("east", "east:2"), Holds("west", "west:1")];

        Assert.Empty(DeviceAudit.LostGateways(_devices, findings));
        Assert.Equal(["east:1"], DeviceAudit.Closed(_devices, findings));
    }

    [Fact]
    public void A_gateway_that_did_not_answer_keeps_its_devices()
    {
        GatewayAudit[] findings = [new("east", LeaseLost: false, Held: null), Holds("west")];

        Assert.Empty(DeviceAudit.LostGateways(_devices, findings));
        Assert.Equal(["west:1"], DeviceAudit.Closed(_devices, findings));
    }

    private sealed class Observer : IGatewayObserver
    {
        public Task Deliver(EventDelivery delivery) => throw new NotSupportedException();

        public Task<string[]> HeldConnections(string userId) => throw new NotSupportedException();
    }
}
