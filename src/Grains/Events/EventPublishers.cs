using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Events;

internal static class EventPublishers
{
    /// <summary>
    /// The publisher for the cluster's delivery mode, for one grain activation, wrapped so that an
    /// event whose send fails is owed and sent again rather than dropped (<see cref="OwingEventPublisher"/>).
    /// With stream delivery, which can also lose an event it accepted, each recipient's latest event is
    /// repeated once shortly after (<see cref="RepeatingEventPublisher"/>). Direct delivery is not
    /// repeated: it sends straight to the gateways, so an event is lost only with a gateway that dies
    /// (its devices reconnect and sync) or with the sending silo (docs/RELIABILITY.md, open items).
    /// </summary>
    public static IEventPublisher For(Grain grain, DmVoiceClusterOptions cluster, LocalGateways? localGateways, TimeProvider time, string label, ILogger logger)
    {
        if (cluster.UsesStreams)
        {
            var streams = new OwingEventPublisher(new StreamEventPublisher(grain.GetStreamProvider(VoiceStreams.ProviderName)), grain, label, logger);
            return new RepeatingEventPublisher(streams, grain);
        }

        return new OwingEventPublisher(new DirectEventPublisher($"{grain.GetGrainId()}/{Guid.NewGuid():N}", localGateways, time), grain, label, logger);
    }
}
