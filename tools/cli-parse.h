/* cli-parse.h - each subcommand's option parsing alone: what the command
 * line means, without resolving a name, reading a file, opening a socket or
 * starting a job.  For the fuzz harness (tests/fuzz/fuzz-cli.c), which
 * must reach every parser with any argv and send nothing. */
#ifndef ICR_CLI_PARSE_H
#define ICR_CLI_PARSE_H

/* Parse argv (argv[0] the subcommand's name) into the subcommand's
 * defaults as cmd_*() does, then free what the parse made.  Returns the
 * parser's value: 0 (a job could start), 1 (--help or --version printed),
 * or < 0 after a one-line message on stderr.  multiping names its -f
 * files but does not read them. */
int cli_ping_parse_only(int argc, char **argv);
int cli_sweep_parse_only(int argc, char **argv);
int cli_multiping_parse_only(int argc, char **argv);
int cli_traceroute_parse_only(int argc, char **argv);

#endif
