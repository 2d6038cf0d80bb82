namespace DmVoice.Abstractions;

/// <summary>A stateless round trip into the cluster, for readiness checks.</summary>
[Alias("DmVoice.IHealthGrain")]
public interface IHealthGrain : IGrainWithIntegerKey
{
    [Alias("Ping")]
    Task<DateTimeOffset> Ping();
}
