"""The staffing advisor's rules (issue 14): how many counters each service needs to meet
its wait target (Erlang C), the demand expected from a centre's own history, and a plan of
which counter serves what and which clerk sits where, hour by hour. Pure: the service
layer (server/services/staffing.py) reads the history and hands it in."""
