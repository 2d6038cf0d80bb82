global using DmVoice.Abstractions;
global using Orleans;
