using DmVoice.Grains.LiveKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmVoice.Rules.Tests;

/// <summary>A channel's voice and the LiveKit rules, case by case, on the same shared room rules.</summary>
public sealed class ChannelAndMediaRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class Channel
    {
        public Channel(int userLimit, params string[] members)
        {
            State = new VoiceChannelState { Exists = true, Name = "lobby", OwnerId = members[0], Members = [.. members], UserLimit = userLimit };
            Kind = new ChannelRules("ch1", State);
            Room = new RoomRules(State, Kind, new CallOptions { EmptyCallGrace = TimeSpan.FromSeconds(10) }, new MediaTracker(enabled: true, () => MediaNow));
            Media = new MediaRules(Room, () => State.Exists, Kind.IsMember, new LiveKitSyncOptions(), NullLogger.Instance, "channel ch1");
        }

        public VoiceChannelState State { get; }

        public ChannelRules Kind { get; }

        public RoomRules Room { get; }

        public MediaRules Media { get; }

        public DateTimeOffset MediaNow { get; set; } = T0;

        private long _session;

        public RoomJoin Join(string userId, string? deviceId = null) =>
            Room.Join(userId, new JoinRequest(userId, DeviceId: deviceId), ++_session, T0, State.Call is null ? new RoomStart("c1", MemberAnswers.None) : null);
    }

    [Fact]
    public void A_full_channel_refuses_one_more_and_takes_them_once_someone_leaves()
    {
        var channel = new Channel(2, "a", "b", "c");
        channel.Join("a");
        channel.Join("b");

        var full = Assert.Throws<DmVoiceException>(() => channel.Join("c"));
        Assert.Equal(ErrorCodes.ChannelFull, full.Code);

        channel.Room.Leave("b", LeaveReasons.Left, T0);
        channel.Join("c");
        Assert.Equal(["a", "c"], channel.State.Call!.Participants.Select(p => p.Voice.UserId));
    }

    [Fact]
    public void A_channel_s_voice_closes_after_the_grace_and_owes_liveKit_the_room_s_deletion()
    {
        var channel = new Channel(0, "a", "b");
        channel.Join("a");
        channel.Room.Leave("a", LeaveReasons.Left, T0);
        channel.Room.Settle(T0.AddSeconds(9));
        Assert.NotNull(channel.State.Call);

        channel.Room.Settle(T0.AddSeconds(10));

        Assert.Null(channel.State.Call);
        Assert.Contains(channel.State.MediaCommands, c => c.Kind == MediaCommandKind.DeleteRoom);
        Assert.Equal(["a", "b"], channel.Room.Outbox.Detachments.Select(d => d.UserId));
    }

    [Fact]
    public void Someone_who_is_not_on_the_access_list_learns_nothing_of_the_channel()
    {
        var channel = new Channel(0, "a", "b");

        var refused = Assert.Throws<DmVoiceException>(() => channel.Join("stranger"));

        Assert.Equal(ErrorCodes.ChannelNotFound, refused.Code);
        Assert.Null(channel.State.Call);
        Assert.Equal(0, channel.State.Version);
    }

    [Fact]
    public void After_a_seat_moves_a_liveKit_left_is_the_old_device_s_until_the_new_device_s_media_shows_up()
    {
        var channel = new Channel(0, "a", "b");
        channel.Join("a", "phone");
        channel.Join("a", "desk");

        Assert.False(channel.Media.MediaLeft("a", T0, T0));
        Assert.Equal(MediaJoinCheck.AlreadyInCall, channel.Media.MediaJoined("a", T0));
        Assert.True(channel.Media.MediaLeft("a", T0, T0));

        Assert.Empty(channel.State.Call!.Participants);
        Assert.Contains(channel.State.MediaCommands, c => c.Kind == MediaCommandKind.RemoveParticipant && c.UserId == "a");
    }

    [Fact]
    public void Media_that_began_before_its_user_left_is_a_stray_and_is_owed_a_removal_at_once()
    {
        var channel = new Channel(0, "a", "b");
        channel.Join("a");
        channel.MediaNow = T0.AddSeconds(30);
        channel.Room.Leave("a", LeaveReasons.Left, T0);

        Assert.Equal(MediaJoinCheck.LeftSince, channel.Media.MediaJoined("a", T0));
        Assert.Equal(MediaJoinCheck.NotMember, channel.Media.MediaJoined("stranger", T0));
        Assert.Equal(["a", "stranger"], channel.State.MediaCommands.Select(c => c.UserId).Order());
    }

    [Fact]
    public void The_sweep_removes_a_participant_absent_for_the_grace_and_joins_a_member_it_finds_in_the_room()
    {
        var channel = new Channel(0, "a", "b");
        channel.Join("a");
        var grace = new LiveKitSyncOptions().AbsenceGrace;

        var toJoin = channel.Media.Reconcile("c1", [new MediaParticipant("b", "b", channel.MediaNow)], T0);
        Assert.Equal(["b"], toJoin);
        Assert.NotEmpty(channel.State.Call!.Participants);

        channel.MediaNow += grace;
        channel.Media.Reconcile("c1", [new MediaParticipant("b", "b", T0)], T0);
        Assert.Empty(channel.State.Call!.Participants);
        Assert.Contains(channel.Room.Outbox.Events, e => e.Event is ChannelUserLeftEvent { UserId: "a", Reason: LeaveReasons.Disconnected });
    }

    [Fact]
    public void A_member_in_the_liveKit_room_of_a_full_channel_is_not_joined_but_owed_a_removal()
    {
        var channel = new Channel(1, "a", "b");
        channel.Join("a");

        Assert.Equal(MediaJoinCheck.Full, channel.Media.MediaJoined("b", T0));
        Assert.Contains(channel.State.MediaCommands, c => c.Kind == MediaCommandKind.RemoveParticipant && c.UserId == "b");

        // The sweep does not try to join them either (the join would be refused every time).
        var toJoin = channel.Media.Reconcile("c1", [new MediaParticipant("a", "a", T0), new MediaParticipant("b", "b", T0)], T0);
        Assert.Empty(toJoin);
    }

    [Fact]
    public void The_member_check_leaves_a_participant_whose_join_elsewhere_is_still_in_flight_in_the_call()
    {
        var channel = new Channel(0, "a", "b");
        channel.Join("a");
        channel.Join("b");
        var joiningElsewhere = new MemberStatus(CallContext.Dm("dm9"), [], Session: 3, Joining: true);
        var movedElsewhere = new MemberStatus(CallContext.Dm("dm9"), [], Session: 3);

        var removed = channel.Room.RemoveGhosts(new Dictionary<string, MemberStatus> { ["a"] = joiningElsewhere, ["b"] = movedElsewhere }, T0);

        Assert.Equal(["b"], removed);
        Assert.Equal(["a"], channel.State.Call!.Participants.Select(p => p.Voice.UserId));
        Assert.Contains(channel.Room.Outbox.Events, e => e.Event is ChannelUserLeftEvent { UserId: "b", Reason: LeaveReasons.Moved });
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(5, 16000)]
    [InlineData(30, 30000)]
    public void Every_retry_waits_twice_as_long_as_the_one_before_up_to_its_cap(int failures, int expectedMs)
    {
        var backoff = new DmVoice.Grains.Infrastructure.Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), backoff.After(failures));
    }
}
