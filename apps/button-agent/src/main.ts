import 'reflect-metadata';

// The button agent arrives with its own issue; until then it says so and exits non-zero.
process.stderr.write('button-agent: not implemented yet\n');
process.exit(1);
