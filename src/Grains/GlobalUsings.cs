global using DmVoice.Abstractions;
global using Orleans;
global using Orleans.Runtime;
