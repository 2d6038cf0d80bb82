using System.Text.Json;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Clients;
using Xunit;
using static DmVoice.Soak.Tests.Evidence;

namespace DmVoice.Soak.Tests;

public sealed class DeviceViewTests
{
    private static (ObservedEvent Event, JsonElement Payload) Event(string name, long version, string json)
    {
        var payload = JsonDocument.Parse(json).RootElement;
        return (Wire.Event(name, payload, "bob.desktop", "bob", 1, Now), payload);
    }

    private static string User(string id, bool muted = false) => $$"""{"userId":"{{id}}","isMuted":{{(muted ? "true" : "false")}},"deviceKind":"desktop"}""";

    [Fact]
    public void The_next_version_is_applied_a_repeat_is_ignored_and_a_gap_or_an_unknown_room_asks_for_a_read()
    {
        var view = new DeviceView();
        var joined = Event("dmVoiceUserJoined", 6, $$"""{"dmGroupId":"dm-1","callId":"call-1","version":6,"user":{{User("carol")}}}""");
        Assert.Equal(DeviceView.Outcome.NeedsRead, view.Apply(joined.Event, joined.Payload));

        view.Replace(Room(5));
        Assert.Equal(DeviceView.Outcome.Applied, view.Apply(joined.Event, joined.Payload));
        Assert.Equal(DeviceView.Outcome.Duplicate, view.Apply(joined.Event, joined.Payload));

        var later = Event("dmVoiceUserLeft", 8, """{"dmGroupId":"dm-1","callId":"call-1","version":8,"userId":"carol","reason":"left"}""");
        Assert.Equal(DeviceView.Outcome.NeedsRead, view.Apply(later.Event, later.Payload));
        Assert.Equal(["alice", "carol"], view.Final("bob.desktop", "bob", true).Rooms["dm-1"].Participants.Keys.Order());
    }

    [Fact]
    public void A_read_older_than_what_the_device_applied_does_not_replace_it()
    {
        var view = new DeviceView();
        view.Replace(Room(7));
        view.Replace(Room(5, Alice with { IsMuted = true }));

        var room = view.Final("bob.desktop", "bob", true).Rooms["dm-1"];
        Assert.Equal(7, room.Version);
        Assert.False(room.Participants["alice"].IsMuted);
    }

    [Fact]
    public void A_seat_move_updates_the_participant_and_the_end_of_the_call_empties_the_room()
    {
        var view = new DeviceView();
        view.Replace(Room(5));
        var moved = Event("dmVoiceSessionMoved", 6, $$"""{"dmGroupId":"dm-1","callId":"call-1","version":6,"user":{{User("alice", muted: true)}},"deviceId":"alice.mobile"}""");
        view.Apply(moved.Event, moved.Payload);
        Assert.True(view.Final("bob.desktop", "bob", true).Rooms["dm-1"].Participants["alice"].IsMuted);

        var ended = Event("dmVoiceCallEnded", 7, """{"dmGroupId":"dm-1","callId":"call-1","version":7,"reason":"ended"}""");
        view.Apply(ended.Event, ended.Payload);
        var room = view.Final("bob.desktop", "bob", true).Rooms["dm-1"];
        Assert.Empty(room.Participants);
        Assert.Null(room.CallId);
    }
}
