using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>A user's one seat: joins, leaves, removals, confirmations with the room and the grace, case by case.</summary>
public sealed class UserSeatTests
{
    private static readonly CallContext Dm = CallContext.Dm("dm-1");
    private static readonly CallContext Channel = CallContext.Channel("ch-1");
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly UserVoiceState _state = new();
    private readonly UserSeat _seat;

    public UserSeatTests() => _seat = new UserSeat(_state);

    private long Sit(CallContext call, string? deviceId = "phone", string? kind = "mobile")
    {
        var session = _seat.BeginJoin(call);
        _seat.EndJoin();
        _seat.Joined(call, session, deviceId, kind);
        return session;
    }

    [Fact]
    public void A_join_in_flight_is_reported_as_the_users_call_with_the_next_session_until_it_ends()
    {
        Sit(Dm);
        var session = _seat.BeginJoin(Channel);

        Assert.Equal(2, session);
        Assert.Equal(Channel, _seat.Current);
        Assert.Equal(2, _seat.CurrentSession);
        Assert.True(_seat.Joining);

        _seat.EndJoin();
        Assert.Equal(Dm, _seat.Current);
        Assert.Equal(1, _seat.CurrentSession);
        Assert.False(_seat.Joining);
    }

    [Fact]
    public void A_join_takes_the_seat_with_its_session_and_device()
    {
        var session = Sit(Dm, "phone", "mobile");

        Assert.Equal(new VoiceSeat(Dm, "phone", "mobile"), _seat.Seat);
        Assert.Equal(session, _state.Session);
    }

    [Fact]
    public void A_join_that_names_no_device_into_the_call_the_user_is_in_leaves_the_seat_on_its_device()
    {
        Sit(Dm, "phone", "mobile");
        Sit(Dm, deviceId: null, kind: null);

        Assert.Equal(new VoiceSeat(Dm, "phone", "mobile"), _seat.Seat);
        Assert.Equal(2, _state.Session);
    }

    [Fact]
    public void A_join_that_names_no_device_into_another_call_holds_the_seat_on_no_device()
    {
        Sit(Dm, "phone", "mobile");
        Sit(Channel, deviceId: null, kind: null);

        Assert.Equal(new VoiceSeat(Channel, null, null), _seat.Seat);
    }

    [Fact]
    public void A_device_the_seat_moved_away_from_may_not_leave_but_the_seat_device_and_a_leave_naming_none_may()
    {
        Sit(Dm, "desktop", "desktop");

        var error = Assert.Throws<DmVoiceException>(() => _seat.EnsureMayLeave(Dm, "phone"));
        Assert.Equal(ErrorCodes.NotInCall, error.Code);
        _seat.EnsureMayLeave(Dm, "desktop");
        _seat.EnsureMayLeave(Dm, null);
        _seat.EnsureMayLeave(Channel, "phone");
    }

    [Fact]
    public void Leaving_the_call_the_user_is_in_forgets_the_seat_with_its_grace_and_leaving_another_changes_nothing()
    {
        Sit(Dm);
        _state.DisconnectDeadline = T0;

        Assert.False(_seat.Left(Channel));
        Assert.NotNull(_seat.Seat);

        Assert.True(_seat.Left(Dm));
        Assert.Null(_seat.Seat);
        Assert.Null(_state.ActiveDevice);
        Assert.Null(_state.ActiveDeviceKind);
        Assert.Null(_state.DisconnectDeadline);
        Assert.Equal(1, _state.Session);
    }

    [Fact]
    public void A_removal_applies_only_to_the_session_it_names()
    {
        Sit(Dm);
        var session = Sit(Dm);

        Assert.False(_seat.Removed(Dm, session - 1));
        Assert.False(_seat.Removed(Channel, session));
        Assert.NotNull(_seat.Seat);

        Assert.True(_seat.Removed(Dm, session));
        Assert.Null(_seat.Seat);
    }

    [Fact]
    public void There_is_nothing_to_confirm_without_a_seat_or_while_a_join_runs()
    {
        Assert.Null(_seat.ToConfirm);
        Sit(Dm);
        Assert.Equal(Dm, _seat.ToConfirm);

        _seat.BeginJoin(Channel);
        Assert.Null(_seat.ToConfirm);
    }

    [Fact]
    public void A_room_that_holds_the_seat_under_the_same_session_keeps_it_as_it_is()
    {
        var session = Sit(Dm, "phone", "mobile");

        Assert.Equal(SeatConfirmation.Kept, _seat.Confirm(Dm, session, new HeldSeat(session, "other", "desktop")));
        Assert.Equal(new VoiceSeat(Dm, "phone", "mobile"), _seat.Seat);
    }

    [Fact]
    public void A_room_that_holds_a_later_session_of_the_users_has_its_seat_adopted_with_its_device()
    {
        var session = Sit(Dm, "phone", "mobile");

        Assert.Equal(SeatConfirmation.Adopted, _seat.Confirm(Dm, session, new HeldSeat(session + 2, "desktop", "desktop")));
        Assert.Equal(new VoiceSeat(Dm, "desktop", "desktop"), _seat.Seat);
        Assert.Equal(session + 2, _state.Session);
    }

    [Fact]
    public void A_room_that_no_longer_holds_the_seat_or_holds_an_older_one_has_it_forgotten()
    {
        var session = Sit(Dm);
        Assert.Equal(SeatConfirmation.Forgotten, _seat.Confirm(Dm, session, held: null));
        Assert.Null(_seat.Seat);

        session = Sit(Dm);
        Assert.Equal(SeatConfirmation.Forgotten, _seat.Confirm(Dm, session, new HeldSeat(session - 1, null, null)));
        Assert.Null(_seat.Seat);
    }

    [Fact]
    public void A_seat_that_changed_while_the_room_was_asked_is_left_alone()
    {
        var asked = Sit(Dm);
        var session = Sit(Channel);

        Assert.Equal(SeatConfirmation.Kept, _seat.Confirm(Dm, asked, held: null));
        Assert.Equal(new VoiceSeat(Channel, "phone", "mobile"), _seat.Seat);
        Assert.Equal(session, _state.Session);
    }

    [Fact]
    public void The_grace_is_over_only_once_its_deadline_has_come()
    {
        Sit(Dm);
        Assert.False(_seat.GraceOver(T0));

        _state.DisconnectDeadline = T0;
        Assert.False(_seat.GraceOver(T0 - TimeSpan.FromSeconds(1)));
        Assert.True(_seat.GraceOver(T0));
        Assert.True(_seat.GraceOver(T0 + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_seat_whose_room_failed_to_answer_is_confirmed_again_three_times_within_half_a_minute()
    {
        Assert.Equal(3, UserSeat.ConfirmDelays.Length);
        Assert.True(UserSeat.ConfirmDelays.Aggregate(TimeSpan.Zero, (sum, d) => sum + d) <= TimeSpan.FromSeconds(30));
    }
}
