using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// One device in the call: a join from a second device moves the seat, in both kinds of room. Each test
/// runs for a DM's call and for a voice channel; in-memory, Redis and stream delivery (the classes at the end).
/// </summary>
public abstract class SeatMoveTests(GrainClusterFixture fx)
{
    /// <summary>The room a test runs in, seen the same way whatever its kind.</summary>
    private sealed record Room(
        string Kind,
        string Id,
        Func<string, JoinRequest, Task> Join,
        Func<string, string?, Task> Leave,
        Func<string, Task<IReadOnlyList<VoiceParticipant>>> Participants);

    private async Task<Room> CreateRoomAsync(string kind, string a, string b)
    {
        if (kind == CallKinds.Dm)
        {
            var dm = await fx.CreateDmAsync(a, b);
            return new Room(
                kind,
                dm.Id,
                (user, join) => fx.User(user).JoinDmCall(dm.Id, join),
                (user, device) => fx.User(user).LeaveDmCall(dm.Id, device),
                async viewer => (await fx.Call(dm.Id).GetPresence(viewer)).Participants);
        }

        var channel = fx.Client.GetGrain<IVoiceChannelGrain>(ChannelIds.New());
        var id = (await channel.Create(a, "Lobby", [b], 0)).Id;
        await channel.AcceptInvite(b);
        return new Room(
            kind,
            id,
            (user, join) => fx.User(user).JoinChannel(id, join),
            (user, device) => fx.User(user).LeaveChannel(id, device),
            async viewer => (await channel.GetPresence(viewer)).Participants);
    }

    /// <summary>The session-moved event a device of the user received: the new device, the old one, the version.</summary>
    private static async Task<(string DeviceId, string? Previous, long Version)> SessionMovedAsync(string kind, EventRecorder device)
    {
        if (kind == CallKinds.Dm)
        {
            var moved = await device.WaitForAsync<SessionMovedEvent>();
            return (moved.DeviceId, moved.PreviousDeviceId, moved.Version);
        }

        var channelMoved = await device.WaitForAsync<ChannelSessionMovedEvent>();
        return (channelMoved.DeviceId, channelMoved.PreviousDeviceId, channelMoved.Version);
    }

    private static JoinRequest From(string deviceId, string? kind = null, bool muted = false) =>
        new("Alice", IsMuted: muted, DeviceId: deviceId, DeviceKind: kind);

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task A_join_from_a_second_device_moves_the_seat_with_one_update_for_the_others_and_a_session_moved_for_the_user(string kind)
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(kind, a, b);
        await using var desktop = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "desktop-1");
        await using var phone = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "phone-1");
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await room.Join(b, new JoinRequest("Bob"));
        await room.Join(a, From("desktop-1", DeviceKinds.Desktop));
        var before = (await fx.User(a).GetSeat())!;
        Assert.Equal("desktop-1", before.DeviceId);

        await room.Join(a, From("phone-1", DeviceKinds.Mobile, muted: true));

        // The others: one update, the participant now on a phone and muted; no leave, no second join.
        var updated = kind == CallKinds.Dm
            ? (await bEvents.WaitForAsync<UserUpdatedEvent>(e => e.User.UserId == a)).User
            : (await bEvents.WaitForAsync<ChannelUserUpdatedEvent>(e => e.User.UserId == a)).User;
        Assert.Equal(DeviceKinds.Mobile, updated.DeviceKind);
        Assert.True(updated.IsMuted);

        // The user's own devices: where the seat went, so the desktop drops its media.
        var (deviceId, previous, movedVersion) = await SessionMovedAsync(kind, desktop);
        Assert.Equal("phone-1", deviceId);
        Assert.Equal("desktop-1", previous);
        VoiceEvent othersSaw = kind == CallKinds.Dm ? bEvents.OfType<UserUpdatedEvent>().Single() : bEvents.OfType<ChannelUserUpdatedEvent>().Single();
        Assert.Equal(movedVersion, othersSaw.Version);
        Assert.Equal((deviceId, previous, movedVersion), await SessionMovedAsync(kind, phone));

        var seat = await fx.User(a).GetSeat();
        Assert.Equal(new VoiceSeat(new CallContext(kind, room.Id), "phone-1", DeviceKinds.Mobile), seat);
        Assert.Single(await room.Participants(b), p => p.UserId == a);
        Assert.Empty(bEvents.OfType<UserLeftEvent>());
        Assert.Empty(bEvents.OfType<ChannelUserLeftEvent>());
        Assert.Single(bEvents.Events, e => e switch
        {
            UserJoinedEvent joined => joined.User.UserId == a,
            ChannelUserJoinedEvent joined => joined.User.UserId == a,
            _ => false,
        });
    }

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task A_leave_from_the_device_that_lost_the_seat_does_not_take_the_user_out(string kind)
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(kind, a, b);
        await using var desktop = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "desktop-1");
        await using var phone = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "phone-1");
        await room.Join(b, new JoinRequest("Bob"));
        await room.Join(a, From("desktop-1"));
        await room.Join(a, From("phone-1"));

        var stale = await Assert.ThrowsAsync<DmVoiceException>(() => room.Leave(a, "desktop-1"));

        Assert.Equal(ErrorCodes.NotInCall, stale.Code);
        Assert.Contains(await room.Participants(b), p => p.UserId == a);
        Assert.Equal(new CallContext(kind, room.Id), (await fx.User(a).GetSeat())?.Call);

        // The device that holds the seat may leave.
        await room.Leave(a, "phone-1");
        Assert.DoesNotContain(await room.Participants(b), p => p.UserId == a);
        Assert.Null(await fx.User(a).GetSeat());
    }

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task A_state_change_from_the_device_that_lost_the_seat_is_refused(string kind)
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(kind, a, b);
        IVoiceRoomGrain grain = kind == CallKinds.Dm ? fx.Call(room.Id) : fx.Client.GetGrain<IVoiceChannelGrain>(room.Id);
        await room.Join(a, From("desktop-1"));
        await room.Join(a, From("phone-1"));

        var stale = await Assert.ThrowsAsync<DmVoiceException>(() => grain.UpdateState(a, new VoiceStatePatch(IsMuted: true), "desktop-1"));
        var fine = await grain.UpdateState(a, new VoiceStatePatch(IsMuted: true), "phone-1");

        Assert.Equal(ErrorCodes.NotInCall, stale.Code);
        Assert.True(fine.IsMuted);
    }

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task Closing_the_device_that_lost_the_seat_starts_no_grace_and_closing_the_one_that_holds_it_does(string kind)
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(kind, a, b);
        var desktop = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "desktop-1");
        var phone = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "phone-1");
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await room.Join(b, new JoinRequest("Bob"));
        await room.Join(a, From("desktop-1"));
        await room.Join(a, From("phone-1"));

        await desktop.DisposeAsync();
        fx.Advance(GrainClusterFixture.DisconnectGrace * 2);

        Assert.Contains(await room.Participants(b), p => p.UserId == a);
        Assert.Equal(new CallContext(kind, room.Id), (await fx.User(a).GetSeat())?.Call);

        await phone.DisposeAsync();
        fx.Advance(GrainClusterFixture.DisconnectGrace);
        await Eventually.GetAsync(() => fx.User(a).GetSeat(), seat => seat is null, "a to leave after the grace");
        var reason = kind == CallKinds.Dm
            ? (await bEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == a)).Reason
            : (await bEvents.WaitForAsync<ChannelUserLeftEvent>(e => e.UserId == a)).Reason;
        Assert.Equal(LeaveReasons.Disconnected, reason);
    }

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task Joining_again_from_the_device_that_holds_the_seat_changes_nothing(string kind)
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(kind, a, b);
        await room.Join(a, From("desktop-1"));
        var version = kind == CallKinds.Dm
            ? (await fx.Call(room.Id).GetPresence(b)).Version
            : (await fx.Client.GetGrain<IVoiceChannelGrain>(room.Id).GetPresence(b)).Version;

        await room.Join(a, From("desktop-1"));
        await room.Join(a, new JoinRequest("Alice"));

        var after = kind == CallKinds.Dm
            ? (await fx.Call(room.Id).GetPresence(b)).Version
            : (await fx.Client.GetGrain<IVoiceChannelGrain>(room.Id).GetPresence(b)).Version;
        Assert.Equal(version, after);
        Assert.Equal("desktop-1", (await fx.User(a).GetSeat())!.DeviceId);
    }

    [Fact]
    public async Task A_join_with_an_unknown_device_kind_is_refused()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var room = await CreateRoomAsync(CallKinds.Channel, a, b);

        var bad = await Assert.ThrowsAsync<DmVoiceException>(() => room.Join(a, From("tv-1", "television")));

        Assert.Equal(ErrorCodes.ValidationFailed, bad.Code);
        Assert.Null(await fx.User(a).GetSeat());
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class SeatMoveTestsInMemory(GrainClusterFixture fx) : SeatMoveTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class SeatMoveTestsOnRedis(RedisGrainClusterFixture fx) : SeatMoveTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class SeatMoveTestsWithStreams(StreamsGrainClusterFixture fx) : SeatMoveTests(fx);
