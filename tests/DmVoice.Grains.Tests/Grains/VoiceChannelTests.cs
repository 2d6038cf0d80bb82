using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Voice channels on the shared room model: access list, user limit, the one-call rule across DM calls
/// and channels. Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).
/// </summary>
public abstract class VoiceChannelTests(GrainClusterFixture fx)
{
    private IVoiceChannelGrain Channel(string id) => fx.Client.GetGrain<IVoiceChannelGrain>(id);

    private async Task<VoiceChannel> CreateChannelAsync(string owner, string[] members, int userLimit = 0)
    {
        // Naming users invites them; each accepts, so the channel starts with all of them as members.
        var id = ChannelIds.New();
        var channel = await Channel(id).Create(owner, "General", members, userLimit);
        foreach (var member in members)
        {
            channel = await Channel(id).AcceptInvite(member);
        }

        return channel;
    }

    [Fact]
    public async Task Every_member_hears_who_joins_the_channel_voice_and_nobody_is_rung()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var channel = await CreateChannelAsync(a, [b, c]);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);

        var first = await fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice"));
        Assert.True(first.CallStarted);
        var joined = await cEvents.WaitForAsync<ChannelUserJoinedEvent>(e => e.ChannelId == channel.Id && e.User.UserId == a);
        Assert.Equal(first.CallId, joined.CallId);
        Assert.Equal(first.Version, joined.Version);

        var second = await fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob"));
        Assert.False(second.CallStarted);
        Assert.Equal(first.CallId, second.CallId);
        var bJoined = await cEvents.WaitForAsync<ChannelUserJoinedEvent>(e => e.User.UserId == b);
        Assert.Equal(joined.Version + 1, bJoined.Version);

        var presence = await Channel(channel.Id).GetPresence(c);
        Assert.Equal([a, b], presence.Participants.Select(p => p.UserId));
        Assert.Equal(second.Version, presence.Version);
        Assert.Empty(cEvents.OfType<DmVoiceEvent>());
        Assert.Equal(new CallContext(CallKinds.Channel, channel.Id), (await fx.User(a).GetSeat())?.Call);
        Assert.Contains(await fx.User(c).GetLiveCalls(), l => l.Call == CallContext.Channel(channel.Id) && l.CallId == first.CallId);
    }

    [Fact]
    public async Task A_user_without_access_cannot_tell_the_channel_from_a_missing_one()
    {
        var (a, stranger) = (TestIds.User("a"), TestIds.User("stranger"));
        var channel = await CreateChannelAsync(a, []);

        var get = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).Get(stranger));
        var join = await Assert.ThrowsAsync<DmVoiceException>(() => fx.User(stranger).JoinChannel(channel.Id, new JoinRequest("S")));
        var missing = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(ChannelIds.New()).Get(a));

        Assert.Equal(ErrorCodes.ChannelNotFound, get.Code);
        Assert.Equal(ErrorCodes.ChannelNotFound, join.Code);
        Assert.Equal(ErrorCodes.ChannelNotFound, missing.Code);
        Assert.Null(await fx.User(stranger).GetSeat());
    }

    [Fact]
    public async Task A_full_channel_refuses_one_more_with_channel_full_and_the_refused_user_keeps_their_dm_call()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var channel = await CreateChannelAsync(a, [b], userLimit: 1);
        var dm = await fx.CreateDmAsync(b, c);
        await fx.JoinAsync(b, dm.Id);
        await fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice"));

        var full = await Assert.ThrowsAsync<DmVoiceException>(() => fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob")));

        Assert.Equal(ErrorCodes.ChannelFull, full.Code);
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(b).GetSeat())?.Call);
        Assert.Equal([b], (await fx.Call(dm.Id).GetPresence(c)).Participants.Select(p => p.UserId));

        // Raising the limit lets them in.
        await Channel(channel.Id).Update(a, new VoiceChannelPatch(UserLimit: 2));
        await fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob"));
        Assert.Equal([a, b], (await Channel(channel.Id).GetPresence(a)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task Joining_a_channel_from_a_dm_call_leaves_the_call_as_moved_and_the_other_way_round()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        var channel = await CreateChannelAsync(a, [b]);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        await fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice"));

        var leftDm = await bEvents.WaitForAsync<UserLeftEvent>(e => e.DmGroupId == dm.Id && e.UserId == a);
        Assert.Equal(LeaveReasons.Moved, leftDm.Reason);
        Assert.Equal(CallContext.Channel(channel.Id), (await fx.User(a).GetSeat())?.Call);
        Assert.Equal([b], (await fx.Call(dm.Id).GetPresence(b)).Participants.Select(p => p.UserId));

        await fx.JoinAsync(a, dm.Id);

        var leftChannel = await bEvents.WaitForAsync<ChannelUserLeftEvent>(e => e.ChannelId == channel.Id && e.UserId == a);
        Assert.Equal(LeaveReasons.Moved, leftChannel.Reason);
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);
        Assert.Empty((await Channel(channel.Id).GetPresence(b)).Participants);
    }

    [Fact]
    public async Task Racing_joins_of_one_user_to_a_channel_and_a_dm_call_leave_them_in_exactly_one()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        var channel = await CreateChannelAsync(a, [b]);

        await Task.WhenAll(
            fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice")),
            fx.User(a).JoinDmCall(dm.Id, new JoinRequest("Alice")));

        var inChannel = (await Channel(channel.Id).GetPresence(a)).Participants.Any(p => p.UserId == a);
        var inDm = (await fx.Call(dm.Id).GetPresence(a)).Participants.Any(p => p.UserId == a);
        Assert.True(inChannel ^ inDm, $"in channel: {inChannel}, in DM call: {inDm}");
        Assert.Equal(inChannel ? CallContext.Channel(channel.Id) : CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);
    }

    [Fact]
    public async Task A_member_taken_off_the_access_list_leaves_the_voice_as_removed_and_loses_access()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var channel = await CreateChannelAsync(a, [b, c]);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice"));
        await fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob"));

        var after = await Channel(channel.Id).RemoveMember(a, b);

        Assert.DoesNotContain(b, after!.MemberIds);
        var left = await aEvents.WaitForAsync<ChannelUserLeftEvent>(e => e.UserId == b);
        Assert.Equal(LeaveReasons.Removed, left.Reason);
        await bEvents.WaitForAsync<ChannelUserLeftEvent>(e => e.UserId == b && e.Reason == LeaveReasons.Removed);
        await Eventually.GetAsync(() => fx.User(b).GetSeat(), seat => seat is null, "b's active call to clear");
        var gone = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).GetPresence(b));
        Assert.Equal(ErrorCodes.ChannelNotFound, gone.Code);
        await Eventually.GetAsync(() => fx.User(b).GetLiveCalls(), calls => calls.All(l => l.Call.Id != channel.Id), "b to stop seeing the channel's voice");
        Assert.Empty((await fx.Client.GetGrain<IUserChannelsGrain>(b).GetPage(10, null)).ChannelIds);
    }

    [Fact]
    public async Task Only_the_owner_manages_the_channel_and_a_member_may_give_up_their_own_access()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var channel = await CreateChannelAsync(a, [b, c]);

        var rename = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).Update(b, new VoiceChannelPatch(Name: "Mine")));
        var add = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).AddMember(b, TestIds.User("d")));
        var remove = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).RemoveMember(b, c));
        var delete = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).Delete(b));
        Assert.All([rename, add, remove, delete], ex => Assert.Equal(ErrorCodes.Forbidden, ex.Code));

        Assert.Null(await Channel(channel.Id).RemoveMember(b, b));
        Assert.Equal([a, c], (await Channel(channel.Id).Get(a)).MemberIds);
    }

    [Fact]
    public async Task Deleting_a_channel_takes_everyone_out_of_its_voice_as_removed()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var channel = await CreateChannelAsync(a, [b]);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob"));

        await Channel(channel.Id).Delete(a);

        var left = await aEvents.WaitForAsync<ChannelUserLeftEvent>(e => e.UserId == b);
        Assert.Equal(LeaveReasons.Removed, left.Reason);
        await Eventually.GetAsync(() => fx.User(b).GetSeat(), seat => seat is null, "b's active call to clear");
        var gone = await Assert.ThrowsAsync<DmVoiceException>(() => Channel(channel.Id).Get(a));
        Assert.Equal(ErrorCodes.ChannelNotFound, gone.Code);
        Assert.Empty((await fx.Client.GetGrain<IUserChannelsGrain>(a).GetPage(10, null)).ChannelIds);
    }

    [Fact]
    public async Task The_channel_voice_ends_after_the_empty_grace_and_a_new_session_gets_a_new_call_id()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var channel = await CreateChannelAsync(a, [b]);
        var first = await fx.User(a).JoinChannel(channel.Id, new JoinRequest("Alice"));
        await fx.User(a).LeaveChannel(channel.Id);

        fx.Advance(TimeSpan.FromMinutes(1));
        await Eventually.GetAsync(() => Channel(channel.Id).GetPresence(b), p => p.CallId is null, "the channel's voice to end");

        var again = await fx.User(b).JoinChannel(channel.Id, new JoinRequest("Bob"));
        Assert.True(again.CallStarted);
        Assert.NotEqual(first.CallId, again.CallId);
        Assert.True(again.Version > first.Version);
    }

    [Fact]
    public async Task My_channels_list_pages_in_id_order()
    {
        var a = TestIds.User("a");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateChannelAsync(a, [])).Id);
        }

        var first = await fx.Client.GetGrain<IUserChannelsGrain>(a).GetPage(2, null);
        var second = await fx.Client.GetGrain<IUserChannelsGrain>(a).GetPage(2, first.Next);

        Assert.Equal(ids.Order(StringComparer.Ordinal), first.ChannelIds.Concat(second.ChannelIds));
        Assert.NotNull(first.Next);
        Assert.Null(second.Next);
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class VoiceChannelTestsInMemory(GrainClusterFixture fx) : VoiceChannelTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class VoiceChannelTestsOnRedis(RedisGrainClusterFixture fx) : VoiceChannelTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class VoiceChannelTestsWithStreams(StreamsGrainClusterFixture fx) : VoiceChannelTests(fx);
