using DmVoice.Grains.Events;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Tests.Grains;

/// <summary>Direct delivery (<c>Cluster:EventDelivery=Direct</c>): what reaches a gateway, and in what order.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class DirectDeliveryTests(GrainClusterFixture fx)
{
    [Fact]
    public async Task An_event_for_several_users_on_one_gateway_is_one_delivery_naming_all_of_them()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        var shared = await TestGateway.StartAsync(fx.Client);
        await using var bDevice = await EventRecorder.ConnectAsync(shared, b);
        await using var cDevice = await EventRecorder.ConnectAsync(shared, c);
        await using var cOtherDevice = await EventRecorder.SubscribeAsync(fx.Client, c);

        var call = await fx.JoinAsync(a, dm.Id);
        await bDevice.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);
        await cDevice.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);
        await cOtherDevice.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);

        var started = Assert.Single(shared.Deliveries, d => d.Event is CallStartedEvent);
        Assert.Equal([b, c], started.UserIds.Order(StringComparer.Ordinal));
        Assert.Single(cOtherDevice.Gateway.Deliveries, d => d.Event is CallStartedEvent);
        shared.Dispose();
    }

    [Fact]
    public async Task A_change_that_makes_several_events_reaches_each_gateway_as_one_delivery_in_their_order()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        var shared = await TestGateway.StartAsync(fx.Client);
        await using var bDevice = await EventRecorder.ConnectAsync(shared, b);
        await using var cDevice = await EventRecorder.ConnectAsync(shared, c);
        var call = await fx.JoinAsync(a, dm.Id);

        // b answering is one change: b joined, and b's ring stopped (accepted).
        await fx.JoinAsync(b, dm.Id);
        await cDevice.WaitForAsync<RingStoppedEvent>(e => e.CallId == call.CallId && e.UserId == b);

        var answered = shared.Deliveries.Single(d => d.Event is UserJoinedEvent);
        var events = answered.Events.ToArray();
        Assert.Equal([typeof(UserJoinedEvent), typeof(RingStoppedEvent)], events.Select(e => e.Event.GetType()));
        Assert.Equal(events[0].Event.Version + 1, events[1].Event.Version);
        Assert.All(events, e => Assert.Contains(c, e.UserIds));
        Assert.Equal(shared.Deliveries.Count, shared.Deliveries.Select(d => d.Sequence).Distinct().Count());

        // Each device saw every event meant for it once, in version order.
        var seenByC = cDevice.Events.Where(e => e.Version >= events[0].Event.Version).Select(e => e.Version).ToArray();
        Assert.Equal(events.Select(e => e.Event.Version), seenByC);
        shared.Dispose();
    }

    [Fact]
    public async Task Each_gateway_receives_one_sender_sequence_without_gaps()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bDevice = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(a, dm.Id);
        for (var i = 0; i < 10; i++)
        {
            await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: i % 2 == 0));
        }

        await EventBarrier.FlushAsync(fx.Client, dm.Id, bDevice);
        var deliveries = bDevice.Gateway.Deliveries;
        Assert.Single(deliveries.Select(d => d.SenderId).Distinct());
        Assert.Equal(Enumerable.Range(1, deliveries.Count).Select(i => (long)i), deliveries.Select(d => d.Sequence));
        Assert.Equal(deliveries.Select(d => d.Event.Version).Order(), deliveries.Select(d => d.Event.Version));
    }
}

/// <summary>How a gateway restores each sender's order from the delivery sequence numbers.</summary>
public sealed class DeliveryOrderingTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<EventDelivery> _released = [];

    private DeliveryOrdering NewOrdering() => new(_released.Add, _time);

    private static EventDelivery Delivery(string sender, long sequence, bool resumes = false) =>
        new(new UserLeftEvent { DmGroupId = "dm", CallId = "call", Version = sequence, UserId = "u", Reason = LeaveReasons.Left }, ["u"], sender, sequence, resumes);

    [Fact]
    public void A_sender_quiet_long_enough_to_be_forgotten_is_taken_up_at_once_when_it_speaks_again()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 1, resumes: true));
        _time.Advance(DeliveryOrdering.IdleSender + DeliveryOrdering.GapWait);

        // A call nobody changed for many minutes: its next event must not wait out a gap that is not there.
        ordering.Receive(Delivery("s", 2, resumes: true));
        ordering.Receive(Delivery("s", 3));
        Assert.Equal([1L, 2, 3], _released.Select(d => d.Sequence));
        Assert.Equal(0, ordering.GapsSkipped);
    }

    [Fact]
    public void A_resumed_sender_whose_next_delivery_got_there_first_releases_both_in_order()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 8));
        ordering.Receive(Delivery("s", 7, resumes: true));
        Assert.Equal([7L, 8], _released.Select(d => d.Sequence));
    }

    [Fact]
    public void A_resume_mark_does_not_skip_a_gap_of_a_sender_the_gateway_knows()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 1, resumes: true));
        ordering.Receive(Delivery("s", 3, resumes: true));
        Assert.Equal([1L], _released.Select(d => d.Sequence));

        ordering.Receive(Delivery("s", 2));
        Assert.Equal([1L, 2, 3], _released.Select(d => d.Sequence));
    }

    [Fact]
    public void A_publisher_marks_its_first_delivery_to_a_gateway_and_the_first_after_a_long_quiet_as_resuming()
    {
        var time = new FakeTimeProvider();
        var gateway = new RecordingObserver();
        var publisher = new DirectEventPublisher("sender", localGateways: null, time);
        publisher.SetRoutes("u", [new GatewayRoute("gw", gateway)]);
        var started = Delivery("s", 1).Event;

        publisher.PublishAsync(started, ["u"]);
        time.Advance(DirectEventPublisher.ResumeAfter - TimeSpan.FromSeconds(1));
        publisher.PublishAsync(started, ["u"]);
        time.Advance(DirectEventPublisher.ResumeAfter);
        publisher.PublishAsync(started, ["u"]);

        Assert.Equal([1L, 2, 3], gateway.Received.Select(d => d.Sequence));
        Assert.Equal([true, false, true], gateway.Received.Select(d => d.Resumes));
        Assert.True(DirectEventPublisher.ResumeAfter < DeliveryOrdering.IdleSender);
    }

    private sealed class RecordingObserver : IGatewayObserver
    {
        public List<EventDelivery> Received { get; } = [];

        public Task Deliver(EventDelivery delivery)
        {
            Received.Add(delivery);
            return Task.CompletedTask;
        }

        public Task<string[]> HeldConnections(string userId) => Task.FromResult<string[]>([]);
    }

    [Fact]
    public void Deliveries_that_arrive_ahead_of_their_turn_wait_for_the_ones_before_them()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 2));
        ordering.Receive(Delivery("s", 3));
        Assert.Empty(_released);

        ordering.Receive(Delivery("s", 1));
        Assert.Equal([1L, 2, 3], _released.Select(d => d.Sequence));
    }

    [Fact]
    public void Senders_are_ordered_independently()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s1", 2));
        ordering.Receive(Delivery("s2", 1));
        Assert.Equal(["s2"], _released.Select(d => d.SenderId));
    }

    [Fact]
    public void Repeated_and_late_deliveries_are_dropped()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 1));
        ordering.Receive(Delivery("s", 1));
        ordering.Receive(Delivery("s", 2));
        Assert.Equal([1L, 2], _released.Select(d => d.Sequence));
        Assert.Equal(1, ordering.Dropped);
    }

    [Fact]
    public void A_gap_that_stays_open_is_skipped_after_the_wait_and_what_comes_late_is_dropped()
    {
        using var ordering = NewOrdering();
        ordering.Receive(Delivery("s", 1));
        ordering.Receive(Delivery("s", 3));
        ordering.Receive(Delivery("s", 4));
        _time.Advance(DeliveryOrdering.GapWait - TimeSpan.FromMilliseconds(600));
        Assert.Equal([1L], _released.Select(d => d.Sequence));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1L, 3, 4], _released.Select(d => d.Sequence));
        Assert.Equal(1, ordering.GapsSkipped);

        ordering.Receive(Delivery("s", 2));
        ordering.Receive(Delivery("s", 5));
        Assert.Equal([1L, 3, 4, 5], _released.Select(d => d.Sequence));
        Assert.Equal(1, ordering.Dropped);
    }
}
